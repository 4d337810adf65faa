// The in-process transport pair (the built-in virtual MCU's link) and Klipper-style serial targets.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStreamPair, DEFAULT_BAUD, openSerialTransport, resolveSerialTarget, type ByteTransport } from "../../src/mcu/transport/index.ts";
import { startSocatPair } from "../support/socat-pair.ts";

function received(t: ByteTransport): { chunks: Uint8Array[]; bytes(): number[] } {
  const chunks: Uint8Array[] = [];
  t.onData((c) => chunks.push(c));
  return { chunks, bytes: () => chunks.flatMap((c) => [...c]) };
}

function nextData(t: ByteTransport): Promise<Uint8Array> {
  return new Promise((resolve) => t.onData(resolve));
}

describe("createStreamPair", () => {
  test("bytes arrive at the other end, in order, asynchronously, as copies", async () => {
    const [a, b] = createStreamPair();
    const atB = received(b);
    const atA = received(a);
    const buf = new Uint8Array([1, 2, 3]);
    a.write(buf);
    buf.fill(9); // the writer may reuse its buffer at once
    a.write(new Uint8Array([4, 5]));
    b.write(new Uint8Array([7]));
    expect(atB.chunks).toEqual([]); // nothing is delivered inside write()
    await new Promise((r) => setImmediate(r));
    expect(atB.bytes()).toEqual([1, 2, 3, 4, 5]);
    expect(atA.bytes()).toEqual([7]);
    await a.close();
  });

  test("bytes written before anyone listens wait for the listener", async () => {
    const [a, b] = createStreamPair();
    a.write(new Uint8Array([42, 43]));
    await new Promise((r) => setImmediate(r));
    expect([...(await nextData(b))]).toEqual([42, 43]);
    await b.close();
  });

  test("two ends answering each other do not starve timers", async () => {
    const [a, b] = createStreamPair();
    let pings = 0;
    a.onData((c) => a.write(c));
    b.onData((c) => {
      pings++;
      b.write(c);
    });
    b.write(new Uint8Array([1]));
    await new Promise((r) => setTimeout(r, 5)); // only fires if the ping-pong yields to the event loop
    expect(pings).toBeGreaterThan(0);
    await a.close();
    const at = pings;
    await new Promise((r) => setTimeout(r, 5));
    expect(pings).toBe(at); // nothing moves after close
  });

  test("close() closes both ends once; writes afterwards throw; late onClose still hears it", async () => {
    const [a, b] = createStreamPair();
    const events: string[] = [];
    a.onClose((err) => events.push(`a:${err ?? "clean"}`));
    b.onClose((err) => events.push(`b:${err ?? "clean"}`));
    await b.close();
    await a.close();
    expect(events).toEqual(["b:clean", "a:clean"]); // each end exactly once, the closing one first
    expect(() => a.write(new Uint8Array([1]))).toThrow("cannot write: the in-process transport is closed");
    expect(() => b.write(new Uint8Array([1]))).toThrow("cannot write: the in-process transport is closed");
    const late = await new Promise<Error | undefined>((resolve) => a.onClose(resolve));
    expect(late).toBeUndefined();
  });
});

describe("resolveSerialTarget (Klipper's [mcu] serial/baud)", () => {
  test("follows links (/dev/serial/by-id style) to the tty and defaults baud to 250000", async () => {
    const pair = await startSocatPair();
    const dir = mkdtempSync(join(tmpdir(), "stepline-target-"));
    try {
      const link = join(dir, "usb-Klipper_stm32f103xe_36FFD6054246303141461543-if00");
      symlinkSync(pair.a, link);
      const t = resolveSerialTarget(link);
      expect(t.configured).toBe(link);
      expect(t.device).toMatch(/^\/dev\/pts\/\d+$/);
      expect(t.baud).toBe(DEFAULT_BAUD);
      expect(DEFAULT_BAUD).toBe(250000);
      expect(resolveSerialTarget(pair.a, 115200)).toEqual({ configured: pair.a, device: t.device, baud: 115200 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await pair.stop();
    }
  });

  test("the Linux host MCU's pipe (/tmp/klipper_host_*) takes no baud", async () => {
    const pair = await startSocatPair();
    const link = join(tmpdir(), `klipper_host_mcu_stepline_test_${process.pid}`);
    try {
      symlinkSync(pair.b, link);
      expect(resolveSerialTarget(link, 250000).baud).toBeNull();
      // Opened without touching its line settings; bytes still flow.
      const host = await openSerialTransport(link);
      const peer = await openSerialTransport(pair.a);
      const got = nextData(peer);
      host.write(new Uint8Array([0x7e]));
      expect([...(await got)]).toEqual([0x7e]);
      await host.close();
      await peer.close();
    } finally {
      rmSync(link, { force: true });
      await pair.stop();
    }
  });

  test("bad values are clear errors", () => {
    expect(() => resolveSerialTarget("")).toThrow("serial: a device path is required");
    expect(() => resolveSerialTarget("ttyACM0")).toThrow("serial: 'ttyACM0' must be an absolute device path");
    expect(() => resolveSerialTarget("/dev/ttyACM0", 1200)).toThrow("baud: must be an integer of at least 2400, got 1200 (for serial '/dev/ttyACM0')");
    expect(() => resolveSerialTarget("/dev/serial/by-id/usb-Klipper_rp2040_0-if00")).toThrow(
      "serial: device '/dev/serial/by-id/usb-Klipper_rp2040_0-if00' does not exist — is the board connected and powered?",
    );
    const dir = mkdtempSync(join(tmpdir(), "stepline-target-"));
    try {
      writeFileSync(join(dir, "file"), "");
      expect(() => resolveSerialTarget(join(dir, "file"))).toThrow(`serial: '${join(dir, "file")}' (${join(dir, "file")}) is not a character device`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
