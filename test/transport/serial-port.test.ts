// The Linux serial binding on real ptys (socat): through @serialport/stream, and as the MCU link opens it (openSerialTransport).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SerialPortStream } from "@serialport/stream";
import { createLinuxBinding, LinuxBinding, openSerialTransport, type ByteTransport } from "../../src/mcu/transport/index.ts";
import { BlockReader, encodeBlock, MESSAGE_MAX, MESSAGE_MIN } from "../../src/protocol/index.ts";
import { startSocatPair, type SocatPair } from "../support/socat-pair.ts";
import { seededRandom } from "../../scripts/lib/random.ts";

/** `count` Klipper blocks with random payloads of every legal size, sequence numbers counting up. */
function makeFrames(count: number, seed: number): { seq: number; payload: Uint8Array }[] {
  const next = seededRandom(seed);
  const frames = [];
  for (let i = 0; i < count; i++) {
    const payload = new Uint8Array(Math.floor(next() * (MESSAGE_MAX - MESSAGE_MIN + 1)));
    for (let j = 0; j < payload.length; j++) payload[j] = Math.floor(next() * 256);
    frames.push({ seq: i & 0x0f, payload });
  }
  return frames;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** Resolves with the first `count` blocks the transport receives (and the reader's stats). */
function collectFrames(t: ByteTransport, count: number) {
  const reader = new BlockReader();
  const got: { seq: number; payload: Uint8Array }[] = [];
  return new Promise<{ frames: typeof got; stats: BlockReader["stats"] }>((resolve, reject) => {
    t.onClose((err) => reject(new Error(`transport closed after ${got.length} of ${count} frames: ${err?.message}`)));
    t.onData((chunk) => {
      reader.push(chunk);
      for (let b = reader.next(); b && got.length < count; b = reader.next()) got.push(b);
      if (got.length === count) resolve({ frames: got, stats: reader.stats });
    });
  });
}

function expectSameFrames(got: { seq: number; payload: Uint8Array }[], sent: { seq: number; payload: Uint8Array }[]): void {
  expect(got.length).toBe(sent.length);
  for (let i = 0; i < sent.length; i++) {
    if (got[i]!.seq !== sent[i]!.seq || Buffer.compare(got[i]!.payload, sent[i]!.payload) !== 0) {
      throw new Error(`frame ${i} differs: got seq ${got[i]!.seq} [${got[i]!.payload}], sent seq ${sent[i]!.seq} [${sent[i]!.payload}]`);
    }
  }
}

let pair: SocatPair;
beforeAll(async () => {
  pair = await startSocatPair();
});
afterAll(async () => {
  await pair?.stop();
});

describe("serial port settings", () => {
  test("opens at 250000 baud in raw 8N1 and the kernel reports that rate back", async () => {
    // The binding behind @serialport/stream, as other serialport users would open it
    const stream = new SerialPortStream({ binding: LinuxBinding, path: pair.a, baudRate: 250000 });
    await new Promise<void>((resolve, reject) => {
      stream.once("open", resolve);
      stream.once("error", reject);
    });
    try {
      const port = stream.port!;
      expect(await port.getBaudRate()).toEqual({ baudRate: 250000 });
      expect(port.readLineSettings()).toEqual({
        baudRate: 250000, dataBits: 8, stopBits: 1, parity: "none", rtscts: false, hupcl: true, xon: false, xoff: false, xany: false,
      });
    } finally {
      await new Promise((resolve) => stream.close(resolve));
    }
  });

  test("update() switches between standard and non-standard rates", async () => {
    const port = await LinuxBinding.open({ path: pair.a, baudRate: 250000 });
    try {
      for (const baud of [115200, 1000000, 76800, 250000]) {
        await port.update({ baudRate: baud });
        expect(await port.getBaudRate()).toEqual({ baudRate: baud });
        expect(port.openOptions.baudRate).toBe(baud);
      }
      await expect(port.update({ baudRate: 0 })).rejects.toThrow("baud rate must be a positive integer, got 0");
    } finally {
      await port.close();
    }
  });

  test("other line settings are applied and read back", async () => {
    // (A pty forces 8 data bits without parity whatever is asked, so those two can't be seen here.)
    const port = await LinuxBinding.open({ path: pair.a, baudRate: 57600, stopBits: 2, rtscts: true, hupcl: false, xon: true, xoff: true });
    try {
      expect(port.readLineSettings()).toEqual({
        baudRate: 57600, dataBits: 8, stopBits: 2, parity: "none", rtscts: true, hupcl: false, xon: true, xoff: true, xany: false,
      });
    } finally {
      await port.close();
    }
  });

  test("invalid options are rejected before the device is touched", async () => {
    await expect(LinuxBinding.open({ path: pair.a, baudRate: 250000, stopBits: 1.5 })).rejects.toThrow("1.5 stop bits are not supported on Linux");
    await expect(LinuxBinding.open({ path: pair.a, baudRate: 250000, dataBits: 9 as 8 })).rejects.toThrow("dataBits must be 5, 6, 7 or 8, got 9");
    await expect(LinuxBinding.open({ path: pair.a, baudRate: 250000, parity: "weird" })).rejects.toThrow("parity must be one of none, even, odd, mark, space, got 'weird'");
    await expect(LinuxBinding.open({ path: pair.a, baudRate: 2.5 })).rejects.toThrow(`serial port ${pair.a}: baud rate must be a positive integer, got 2.5`);
  });
});

describe("data through the binding", () => {
  test("Klipper frames cross intact and in order, both directions at once, in bulk", async () => {
    const a = await openSerialTransport(pair.a);
    const b = await openSerialTransport(pair.b);
    try {
      const aToB = makeFrames(6000, 1);
      const bToA = makeFrames(4000, 2);
      const atB = collectFrames(b, aToB.length);
      const atA = collectFrames(a, bToA.length);
      // One side writes ~200 KB in a single call (far more than a pty buffers: exercises the
      // EAGAIN/retry path), the other one frame per call as the MCU link does.
      a.write(concat(aToB.map((f) => encodeBlock(f.seq, f.payload))));
      for (const f of bToA) b.write(encodeBlock(f.seq, f.payload));
      const [gotB, gotA] = await Promise.all([atB, atA]);
      // As Klipper leaves them: 250000 baud, raw 8N1, HUPCL off (closing must not reset the board).
      const probe = await LinuxBinding.open({ path: pair.a, baudRate: 0, configureLine: false, lock: false });
      expect(probe.readLineSettings()).toMatchObject({ baudRate: 250000, dataBits: 8, parity: "none", stopBits: 1, hupcl: false });
      await probe.close();
      expectSameFrames(gotB.frames, aToB);
      expectSameFrames(gotA.frames, bToA);
      for (const s of [gotA.stats, gotB.stats]) expect(s).toMatchObject({ badCrc: 0, badLength: 0, bytesDiscarded: 0 });
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("read() hands out a chunk in pieces no larger than asked, and drain() returns once sent", async () => {
    const a = await LinuxBinding.open({ path: pair.a, baudRate: 250000 });
    const b = await LinuxBinding.open({ path: pair.b, baudRate: 250000 });
    try {
      const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
      await a.write(Buffer.from(data));
      await a.drain();
      const got: number[] = [];
      const buf = Buffer.alloc(64);
      while (got.length < data.length) {
        const { bytesRead } = await b.read(buf, 10, 17);
        expect(bytesRead).toBeGreaterThan(0);
        expect(bytesRead).toBeLessThanOrEqual(17);
        got.push(...buf.subarray(10, 10 + bytesRead));
      }
      expect(Uint8Array.from(got)).toEqual(data);
      await expect(b.read(buf, 60, 10)).rejects.toThrow("read: offset 60 + length 10 must lie within the 64-byte buffer");
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("flush() discards input not yet read", async () => {
    const a = await LinuxBinding.open({ path: pair.a, baudRate: 250000 });
    const b = await LinuxBinding.open({ path: pair.b, baudRate: 250000 });
    try {
      const buf = Buffer.alloc(64);
      await a.write(Buffer.from("stale-"));
      // The first byte has arrived once a 1-byte read returns; the rest sits in b's buffers.
      expect((await b.read(buf, 0, 1)).bytesRead).toBe(1);
      await a.drain();
      await b.flush();
      await a.write(Buffer.from("fresh"));
      let text = "";
      while (text.length < 5) {
        const { bytesRead } = await b.read(buf, 0, 64);
        text += buf.toString("latin1", 0, bytesRead);
      }
      expect(text).toBe("fresh");
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe("open, close and failure", () => {
  test("close() cancels a pending read with canceled: true, and the port reports closed", async () => {
    const port = await LinuxBinding.open({ path: pair.a, baudRate: 250000 });
    const pending = port.read(Buffer.alloc(16), 0, 16);
    await port.close();
    const err = await pending.then(() => null, (e: Error & { canceled?: boolean }) => e);
    expect(err?.canceled).toBe(true);
    expect(err?.message).toBe(`serial port ${pair.a} was closed`);
    expect(port.isOpen).toBe(false);
    await expect(port.close()).rejects.toThrow(`serial port ${pair.a} is not open`);
    await expect(port.getBaudRate()).rejects.toThrow(`serial port ${pair.a} is not open (getBaudRate)`);
  });

  test("a second open of a port in use fails clearly (exclusive lock, as Klipper's pyserial takes)", async () => {
    const first = await LinuxBinding.open({ path: pair.a, baudRate: 250000 });
    try {
      await expect(LinuxBinding.open({ path: pair.a, baudRate: 250000 })).rejects.toThrow(`serial port ${pair.a} is in use by another process`);
      const shared = await LinuxBinding.open({ path: pair.a, baudRate: 250000, lock: false });
      await shared.close();
    } finally {
      await first.close();
    }
  });

  test("a missing device is a clear error", async () => {
    const path = "/dev/serial/by-id/usb-Klipper_stm32f446xx_0000000000000000-if00";
    const err = await LinuxBinding.open({ path, baudRate: 250000 }).then(() => null, (e: Error & { code?: string }) => e);
    expect(err?.code).toBe("ENOENT");
    expect(err?.message).toBe(`cannot open serial port ${path}: No such file or directory (ENOENT) — is the board connected and powered? \`ls /dev/serial/by-id/\` lists the boards present`);
    await expect(openSerialTransport("/dev/ttyNOPE0")).rejects.toThrow("serial: device '/dev/ttyNOPE0' does not exist");
  });

  test("a file that is not a terminal is refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stepline-notty-"));
    try {
      const file = join(dir, "plain");
      writeFileSync(file, "x");
      await expect(LinuxBinding.open({ path: file, baudRate: 250000 })).rejects.toThrow(`cannot read the line settings of ${file}: Inappropriate ioctl for device (ENOTTY)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("ptys have no modem lines: get()/set() say so", async () => {
    const port = await LinuxBinding.open({ path: pair.a, baudRate: 250000 });
    try {
      await expect(port.get()).rejects.toThrow(`cannot read the modem lines of ${pair.a} (ptys and some adapters have none)`);
      await expect(port.set({ dtr: true })).rejects.toThrow("(ENOTTY)");
    } finally {
      await port.close();
    }
  });

  test("losing the other side (socat killed) closes the transport with an error", async () => {
    const own = await startSocatPair();
    try {
      const t = await openSerialTransport(own.b);
      t.onData(() => {}); // reading is what notices the hang-up, as it is for the MCU link
      const closed = new Promise<Error | undefined>((resolve) => t.onClose(resolve));
      await own.stop();
      const err = await closed;
      expect(err?.message).toMatch(/^serial port \/dev\/pts\/\d+ disconnected \(end of file\)$/);
      expect(() => t.write(new Uint8Array([1]))).toThrow("is closed");
    } finally {
      await own.stop();
    }
  });
});

describe("listing ports", () => {
  test("lists /dev/serial/by-id style links with their names as pnpId, skipping dangling ones", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stepline-byid-"));
    try {
      symlinkSync(pair.a, join(dir, "usb-Klipper_rp2040_E6614C311B7B8E2A-if00"));
      symlinkSync(pair.b, join(dir, "usb-1a86_USB_Serial-if00-port0"));
      symlinkSync(join(dir, "gone"), join(dir, "usb-Vanished-if00"));
      const ports = await createLinuxBinding({ byIdDir: dir }).list();
      expect(ports.map((p) => [p.path, p.pnpId])).toEqual([
        [join(dir, "usb-1a86_USB_Serial-if00-port0"), "usb-1a86_USB_Serial-if00-port0"],
        [join(dir, "usb-Klipper_rp2040_E6614C311B7B8E2A-if00"), "usb-Klipper_rp2040_E6614C311B7B8E2A-if00"],
      ]);
      expect(ports[0]!.vendorId).toBeUndefined(); // a pty has no USB device behind it
      expect(await createLinuxBinding({ byIdDir: join(dir, "absent") }).list()).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
