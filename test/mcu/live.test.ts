// A host Mcu against the virtual MCU (firmware-bridge) over an in-process
// stream pair: identify, config phase, host restart, shutdown reports, lost
// links, and bad input from the wire.
import { describe, expect, test } from "bun:test";
import { VirtualMcu } from "../../firmware-bridge/index.ts";
import { encodeBlock } from "../../src/protocol/index.ts";
import { Mcu, type McuShutdown } from "../../src/mcu/mcu.ts";
import { vmcuLink } from "./vmcu-link.ts";
import { Cleanups } from "../support/cleanups.ts";

const FREQ = 72_000_000;
const cleanups = new Cleanups();

function capture() {
  const lines: string[] = [];
  return { lines, log: { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(`WARN ${m}`) } };
}

function startVmcu(): VirtualMcu {
  const vmcu = new VirtualMcu({ clockFreq: FREQ, logCommands: true });
  vmcu.start();
  cleanups.push(() => vmcu.stop());
  return vmcu;
}

function hostMcu(vmcu: VirtualMcu, configure: (mcu: Mcu) => void) {
  const wire = vmcuLink(vmcu);
  const { lines, log } = capture();
  const mcu = new Mcu("mcu", { live: { transport: wire }, log });
  configure(mcu);
  cleanups.push(() => mcu.close());
  return { mcu, wire, lines };
}

/** A pin like a heater: off by default, limited to 0.2 s on without a refresh. */
function heaterConfig(pin = "PB2") {
  return (mcu: Mcu) => {
    const oid = mcu.createOid();
    mcu.registerConfigCallback(() => {
      mcu.addConfigCmd(`config_digital_out oid=${oid} pin=${pin} value=0 default_value=0 max_duration=${mcu.secondsToClock(0.2)}`);
      mcu.addConfigCmd(`set_digital_out_pwm_cycle oid=${oid} cycle_ticks=${mcu.secondsToClock(0.1)}`);
    });
  };
}

function nextShutdown(mcu: Mcu): Promise<McuShutdown> {
  return new Promise((r) => mcu.onShutdown(r));
}

describe("Mcu live against the virtual MCU", () => {
  test("identifies, syncs its clock, configures and reports ready", async () => {
    const vmcu = startVmcu();
    const { mcu, lines } = hostMcu(vmcu, heaterConfig());
    await mcu.identify();
    expect(mcu.dict.clockFreq).toBe(FREQ);
    await mcu.connect();
    expect(mcu.moveCount).toBe(1024);
    const finalize = vmcu.executed.find((c) => c.name === "finalize_config");
    expect(finalize?.params.crc).toBe(mcu.configCrc!);
    expect(lines.some((l) => /identified, data dictionary \d+ bytes/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes(`config CRC ${mcu.configCrc}`))).toBe(true);
    expect(lines.at(-1)).toBe("MCU 'mcu' ready");
    // The host's clock prediction matches the MCU's actual clock closely.
    const err = Math.abs(mcu.getClock(mcu.monotonic()) - vmcu.clockTicks()) / FREQ;
    expect(err).toBeLessThan(0.002);
    expect(Math.abs(mcu.estimatedPrintTime(mcu.monotonic()) - vmcu.clockTicks() / FREQ)).toBeLessThan(0.002);
  });

  test("after a host restart it reuses a matching config and refuses a different one", async () => {
    const vmcu = startVmcu();
    const first = hostMcu(vmcu, heaterConfig());
    await first.mcu.identify();
    await first.mcu.connect();
    await first.mcu.close();
    const allocations = () => vmcu.executed.filter((c) => c.name === "allocate_oids").length;
    expect(allocations()).toBe(1);

    const again = hostMcu(vmcu, heaterConfig());
    await again.mcu.identify();
    await again.mcu.connect();
    expect(allocations()).toBe(1);
    expect(again.lines.some((l) => l.includes("already configured with this config"))).toBe(true);
    await again.mcu.close();

    const other = hostMcu(vmcu, heaterConfig("PC3"));
    await other.mcu.identify();
    await expect(other.mcu.connect()).rejects.toThrow(/CRC does not match config.*FIRMWARE_RESTART/);
  });

  test("a heater output not refreshed within max_duration shuts the MCU down with the firmware's reason", async () => {
    const vmcu = startVmcu();
    const { mcu } = hostMcu(vmcu, heaterConfig());
    await mcu.identify();
    await mcu.connect();
    const shutdown = nextShutdown(mcu);
    const clock = mcu.getClock(mcu.monotonic() + 0.05);
    mcu.sendLine(`queue_digital_out oid=0 clock=${clock % 2 ** 32} on_ticks=${mcu.secondsToClock(0.1)}`, { minClock: 0, reqClock: clock });
    const s = await shutdown;
    expect(s).toMatchObject({ mcu: "mcu", eventType: "shutdown", reason: "Missed scheduling of next digital out event" });
    expect(s.clock).toBeGreaterThan(clock);
    expect(vmcu.shutdownReason).toBe("Missed scheduling of next digital out event");
    expect(mcu.isShutdown()).toBe(true);
  });

  test("a closed port is reported as lost communication at once", async () => {
    const vmcu = startVmcu();
    const { mcu, wire } = hostMcu(vmcu, () => {});
    await mcu.identify();
    await mcu.connect();
    const shutdown = nextShutdown(mcu);
    wire.cut();
    expect(await shutdown).toMatchObject({ eventType: "lost", reason: "Lost communication with MCU 'mcu' (port closed)" });
    await expect(mcu.query("get_clock", "clock")).rejects.toThrow(/closed/);
  });

  test("an MCU that stops answering is reported as lost communication, and queries fail instead of hanging", async () => {
    const vmcu = startVmcu();
    const { mcu, wire } = hostMcu(vmcu, () => {});
    await mcu.identify();
    await mcu.connect();
    const shutdown = nextShutdown(mcu);
    wire.silence();
    const query = mcu.query("get_uptime", "uptime").then(
      () => "answered",
      (e: Error) => e.message,
    );
    expect(await shutdown).toMatchObject({ eventType: "lost", reason: "Lost communication with MCU 'mcu'" });
    expect(await query).toBe("Lost communication with MCU 'mcu'");
    await expect(mcu.query("get_clock", "clock")).rejects.toThrow("Lost communication with MCU 'mcu'");
  }, 20_000);

  test("malformed blocks, unknown message ids and reports for unknown oids are logged and survived", async () => {
    const vmcu = startVmcu();
    const { mcu, wire, lines } = hostMcu(vmcu, heaterConfig());
    await mcu.identify();
    await mcu.connect();
    const seq = mcu.serialStats()!.receive_seq;
    const unknownId = Math.max(...mcu.dict.messages.map((m) => m.id)) + 1;
    // Bytes no block can start with: bad lengths, a length without the destination bits.
    const garbage = Uint8Array.of(0xff, 0x00, 0x13, 0x7e, 0x41, 0x02, 0x7e);
    const unknownMsg = encodeBlock(seq, Uint8Array.of(0x80 | (unknownId >> 7), unknownId & 0x7f, 1, 2));
    const truncated = encodeBlock(seq, mcu.dict.encodeResponse("clock", { clock: 5 }).subarray(0, 1));
    const strayOid = encodeBlock(seq, mcu.dict.encodeResponse("analog_in_state", { oid: 42, next_clock: 7, values: Uint8Array.of(1, 2) }));
    wire.inject(garbage);
    wire.inject(unknownMsg);
    wire.inject(truncated);
    wire.inject(strayOid);
    // Still healthy: a query round trip works afterwards.
    const up = await mcu.query("get_uptime", "uptime");
    expect(typeof up.params.clock).toBe("number");
    const errs = mcu.inputErrors()!;
    expect(errs.invalidBytes).toBeGreaterThan(0);
    expect(errs.unknownMessages).toBe(1);
    expect(errs.badBlocks).toBe(1);
    expect(mcu.unhandledResponses.get("analog_in_state")).toBe(1);
    expect(lines.some((l) => l.startsWith("WARN") && l.includes(`unknown message id ${unknownId}`))).toBe(true);
    expect(lines.some((l) => l.startsWith("WARN") && l.includes("undecodable block"))).toBe(true);
    expect(lines.some((l) => l.startsWith("WARN") && l.includes("unhandled analog_in_state oid=42"))).toBe(true);
    expect(mcu.isShutdown()).toBe(false);
  });
});

describe("Mcu live: restarts, emergency stop, several MCUs", () => {
  test("an MCU that reboots is reported as a spontaneous restart", async () => {
    const vmcu = startVmcu();
    const { mcu } = hostMcu(vmcu, heaterConfig());
    await mcu.identify();
    await mcu.connect();
    const shutdown = nextShutdown(mcu);
    mcu.sendLine("reset");
    expect(await shutdown).toMatchObject({ eventType: "starting", reason: "MCU 'mcu' spontaneous restart" });
  });

  test("emergency_stop on a host fault stops the MCU, which reports the shutdown back", async () => {
    const vmcu = startVmcu();
    const { mcu } = hostMcu(vmcu, heaterConfig());
    await mcu.identify();
    await mcu.connect();
    const shutdown = nextShutdown(mcu);
    mcu.emergencyStop();
    expect(await shutdown).toMatchObject({ eventType: "shutdown", reason: "Command request" });
    expect(vmcu.shutdownReason).toBe("Command request");
  });

  test("connecting to an MCU that is already shut down fails with a clear error", async () => {
    const vmcu = startVmcu();
    const first = hostMcu(vmcu, heaterConfig());
    await first.mcu.identify();
    await first.mcu.connect();
    const down = nextShutdown(first.mcu);
    first.mcu.emergencyStop();
    await down;
    await first.mcu.close();
    const again = hostMcu(vmcu, heaterConfig());
    await again.mcu.identify();
    await expect(again.mcu.connect()).rejects.toThrow("Can not update MCU 'mcu' config as it is shutdown");
  });

  test("a secondary MCU's print time follows the primary's", async () => {
    const main = startVmcu();
    const zVmcu = new VirtualMcu({ clockFreq: 16_000_000, logCommands: true });
    zVmcu.start();
    cleanups.push(() => zVmcu.stop());
    const { mcu } = hostMcu(main, () => {});
    const z = new Mcu("z", { live: { transport: vmcuLink(zVmcu), primary: mcu }, log: capture().log });
    cleanups.push(() => z.close());
    await mcu.identify();
    await z.identify();
    await Promise.all([mcu.connect(), z.connect()]);
    const pt = mcu.estimatedPrintTime(mcu.monotonic());
    z.calibrateClock(pt + 0.1, mcu.monotonic());
    // At one instant both MCUs' actual clocks must mean the same print time.
    const mainPt = mcu.clockToPrintTime(main.clockTicks());
    const zPt = z.clockToPrintTime(zVmcu.clockTicks());
    expect(Math.abs(mainPt - zPt)).toBeLessThan(0.001);
    // And a print time maps to the clock each MCU will show then (0.5 s ahead).
    const target = mainPt + 0.5;
    const zClock = z.printTimeToClock(target);
    const zClockExpected = zVmcu.clockTicks() + 0.5 * 16_000_000;
    expect(Math.abs(zClock - zClockExpected) / 16_000_000).toBeLessThan(0.001);
  });
});
