// Safety on the virtual printer: every way the printer can fail ends in the shutdown state with
// the reason worded as Klipper words it, and the virtual MCU's heaters (and steppers) off.
import { afterEach, describe, expect, test } from "bun:test";
import type { VirtualMcu } from "../../firmware-bridge/index.ts";
import { GCodeError } from "../../src/core/gcode/errors.ts";
import { GCodeInput } from "../../src/core/gcode/input.ts";
import { virtualPrinterHardware } from "../../src/live/virtual-printer/index.ts";
import { startTestPrinter, TEST_TIME_SCALE, type TestPrinter } from "./helpers.ts";

let p: TestPrinter | null = null;
afterEach(async () => {
  await p?.close();
  p = null;
});

const HEATER_PINS = ["PC0", "PC2"];
const heatersOff = (vmcu: VirtualMcu) => HEATER_PINS.every((pin) => !vmcu.output(pin));
const state = (t: TestPrinter) => t.lp.printer.getStateMessage();
const inShutdown = (t: TestPrinter) => () => state(t)[1] === "shutdown";

async function heatUp(t: TestPrinter): Promise<VirtualMcu> {
  const vmcu = t.lp.virtualMcus.get("mcu")!;
  await t.run("M104 S120\nM140 S40");
  await t.until(() => HEATER_PINS.every((pin) => (vmcu.output(pin) ?? 0) > 0), "both heaters on");
  return vmcu;
}

describe("shutdowns", () => {
  test("a disconnected thermistor (ADC out of range) shuts the MCU down with outputs off", async () => {
    // The hotend's thermistor pin reads an open input: full scale, far below min_temp
    const board = virtualPrinterHardware({ thermalTimeScale: TEST_TIME_SCALE });
    board.heaters = board.heaters!.filter((h) => h.thermistorPin !== "PC1");
    p = await startTestPrinter({ board });
    const t = p;
    await t.until(inShutdown(t), "the shutdown", 10);
    const [msg] = state(t);
    expect(msg).toStartWith("MCU 'mcu' shutdown: ADC out of range\nThis generally occurs when a heater temperature exceeds\nits configured min_temp or max_temp.\nOnce the underlying issue is corrected");
    expect(msg).toEndWith("Printer is shutdown\n");
    const vmcu = t.lp.virtualMcus.get("mcu")!;
    expect(vmcu.shutdownReason).toBe("ADC out of range");
    expect(heatersOff(vmcu)).toBe(true);
    // The host names the sensor that was out of range
    expect(t.output.some((l) => /Sensor 'extruder' temperature -?\d+\.\d+ not in range 0\.000:280\.000/.test(l))).toBe(true);
    // Heating is refused from now on, with the reason
    expect(await t.runError("M104 S200")).toContain("ADC out of range");
    expect(t.lp.status.query({ webhooks: null }).webhooks).toEqual({ state: "shutdown", state_message: msg });
  }, 40_000);

  test("a thermistor that comes loose while heating shuts the printer down with heaters off", async () => {
    p = await startTestPrinter();
    const t = p;
    const vmcu = await heatUp(t);
    vmcu.setSensorFault("PC1", "open");
    await t.until(inShutdown(t), "the shutdown", 10);
    expect(state(t)[0]).toStartWith("MCU 'mcu' shutdown: ADC out of range");
    expect(vmcu.shutdownReason).toBe("ADC out of range");
    expect(heatersOff(vmcu)).toBe(true);
    expect(t.output.some((l) => /Sensor 'extruder' temperature -?\d+\.\d+ not in range 0\.000:280\.000/.test(l))).toBe(true);
  }, 40_000);

  test("a heater that cannot heat trips verify_heater", async () => {
    p = await startTestPrinter({
      hardware: { hotendMaxRise: 15 },
      extraConfig: "\n[verify_heater extruder]\ncheck_gain_time: 2\n",
    });
    const t = p;
    const vmcu = t.lp.virtualMcus.get("mcu")!;
    await t.run("M104 S200");
    await t.until(inShutdown(t), "verify_heater", 30);
    expect(state(t)[0]).toStartWith("Heater extruder not heating at expected rate");
    expect(state(t)[0]).toEndWith('use the\n"FIRMWARE_RESTART" command to reset the firmware, reload the\nconfig, and restart the host software.\nPrinter is shutdown\n');
    // The host stopped the MCU: emergency stop, heaters off
    await t.until(() => vmcu.shutdownReason !== null, "the MCU shutdown");
    expect(vmcu.shutdownReason).toBe("Command request");
    expect(heatersOff(vmcu)).toBe(true);
    expect(vmcu.temperature("PC1")!).toBeLessThan(25 + 15);
  }, 40_000);

  test("an exception in the host turns every heater off", async () => {
    p = await startTestPrinter();
    const t = p;
    t.lp.printer.gcode.register("TEST_HOST_BUG", () => {
      const missing = undefined as unknown as { field: number };
      return missing.field;
    });
    const vmcu = await heatUp(t);
    const out = await t.run("TEST_HOST_BUG").catch((e) => [String(e)]);
    expect(out.join("\n")).not.toContain(GCodeError.name);
    expect(state(t)[0]).toStartWith('Internal error on command:"TEST_HOST_BUG"');
    expect(t.output).toContain('!! Internal error on command:"TEST_HOST_BUG"');
    await t.until(() => vmcu.shutdownReason !== null, "the MCU shutdown");
    expect(vmcu.shutdownReason).toBe("Command request");
    expect(heatersOff(vmcu)).toBe(true);
  }, 40_000);

  test("an exception that escapes every handler shuts down too", async () => {
    p = await startTestPrinter();
    const t = p;
    const vmcu = await heatUp(t);
    t.lp.handleHostException(new RangeError("escaped bug"));
    expect(state(t)[0]).toStartWith("Internal error: escaped bug\nOnce the underlying issue is corrected");
    await t.until(() => vmcu.shutdownReason === "Command request", "the MCU shutdown");
    expect(heatersOff(vmcu)).toBe(true);
    expect(t.logs.some((l) => l.startsWith("ERROR Unhandled exception in the host: RangeError: escaped bug"))).toBe(true);
  }, 40_000);

  test("a lost MCU is reported and its heaters go off on their own", async () => {
    p = await startTestPrinter();
    const t = p;
    const vmcu = await heatUp(t);
    expect(t.lp.unplugVirtualMcu("mcu")).toBe(true);
    await t.until(inShutdown(t), "the lost MCU", 10);
    expect(state(t)[0]).toStartWith("Lost communication with MCU 'mcu'");
    expect(state(t)[0]).toEndWith("Printer is shutdown\n");
    // Nobody refreshes the heater pins any more: the MCU's max_duration check turns them off
    await t.until(() => vmcu.shutdownReason !== null, "the MCU's own shutdown", 10);
    expect(vmcu.shutdownReason).toBe("Missed scheduling of next digital out event");
    expect(heatersOff(vmcu)).toBe(true);
  }, 40_000);
});

describe("M112", () => {
  test("stops at once, even while M109 waits, and again in the shutdown state", async () => {
    p = await startTestPrinter();
    const t = p;
    const vmcu = await heatUp(t);
    const input = new GCodeInput(t.lp.printer.gcode);
    const waiting = input.feed("M109 S200\n");
    await t.until(() => t.lp.status.query({ extruder: ["target"] }).extruder!.target === 200 || vmcu.output("PC0")! > 0, "M109 running");
    await input.feed("M112\n");
    await waiting;
    expect(state(t)[0]).toStartWith("Shutdown due to M112 command\nOnce the underlying issue is corrected");
    await t.until(() => vmcu.shutdownReason !== null, "the MCU shutdown");
    expect(vmcu.shutdownReason).toBe("Command request");
    expect(heatersOff(vmcu)).toBe(true);
    // M112 again: nothing more happens, no crash
    await input.feed("M112\n");
    expect(state(t)[0]).toStartWith("Shutdown due to M112 command");
    // FIRMWARE_RESTART brings it back
    const before = t.lp.printer;
    void input.feed("FIRMWARE_RESTART\n");
    await t.until(() => t.lp.printer !== before && state(t)[1] === "ready", "ready after FIRMWARE_RESTART", 15);
    expect(vmcu.shutdownReason).toBeNull();
  }, 40_000);

  test("works in the error state of a bad config too: the MCU is stopped, nothing crashes", async () => {
    p = await startTestPrinter({ extraConfig: "\n[heater_bed]\nmax_temp: hot\n" });
    const t = p;
    expect(state(t)[1]).toBe("error");
    expect(state(t)[0]).toContain("Unable to parse option 'max_temp' in section 'heater_bed'");
    const input = new GCodeInput(t.lp.printer.gcode);
    await input.feed("M112\n");
    expect(state(t)[1]).toBe("shutdown");
    await t.until(() => t.lp.virtualMcus.get("mcu")!.shutdownReason === "Command request", "the MCU stopped");
    await input.feed("M105\nG28\n");
    expect(t.output).toContainEqual(expect.stringMatching(/^!! Unable to parse option 'max_temp'/));
  }, 40_000);
});
