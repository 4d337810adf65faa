// Heater modules built from real config text into a real Printer with a batch-mode Mcu: config lines
// against Klipper's reference output, G-code errors, temperature readings, shutdown behaviour.
import { SHARED_REFERENCE, loadDict } from "../../support/reference.ts";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "../../../src/extras/heaters/modules.ts";
import { PrinterConfig } from "../../../src/core/config/index.ts";
import type { Heater } from "../../../src/extras/heaters/heater.ts";
import { lookupHeaters, setupHeater } from "../../../src/extras/heaters/heaters.ts";
import { Printer } from "../../../src/core/printer.ts";
import { Mcu } from "../../../src/mcu/mcu.ts";
import { HEATER_BED_CFG } from "../../support/printer-configs.ts";
import { decodeLines } from "../../support/serial.ts";
import { adcSum, analogInState, heaterAdc } from "../../support/adc-report.ts";

const REF = `${SHARED_REFERENCE}/klipper`;
const dir = mkdtempSync(join(tmpdir(), "stepline-heater-module-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const dict = loadDict("atmega2560.dict");
let files = 0;


/** A printer whose only chip is a batch Mcu writing to a temp file. */
function makePrinter(cfgText: string, startArgs: Record<string, unknown> = {}) {
  const path = join(dir, `out-${++files}.serial`);
  const printer = new Printer({ config: PrinterConfig.fromText(cfgText), startArgs });
  const mcu = new Mcu("mcu", { batch: { dict, outputPath: path }, log: { info: () => {}, warn: () => {} } });
  printer.pins.registerChip("mcu", mcu as never);
  printer.addObject("mcu", mcu);
  return { printer, mcu, path };
}

/** Feed one analog reading (as the MCU would report it) to the sensor on `oid`. */
function report(mcu: Mcu, oid: number, printTime: number, rawSum: number) {
  const nextClock = Math.round((printTime + 0.3) * 16e6);
  (mcu as unknown as { dispatchResponse(m: unknown): void }).dispatchResponse(analogInState(oid, nextClock, rawSum));
}

describe("heater modules in a printer", () => {
  test("tk_move_cartesian: [heater_bed] and the [extruder] heater emit exactly Klipper's lines", async () => {
    const cfg = readFileSync(`${REF}/cases/tk_move_cartesian/printer.cfg`, "utf8");
    const { printer, mcu, path } = makePrinter(cfg, { debugoutput: "out.serial" });
    for (let i = 0; i < 10; i++) mcu.createOid(); // stepper and endstop oids
    printer.loadObject("heater_bed");
    mcu.registerConfigCallback(() => { for (let i = 0; i < 3; i++) mcu.createOid(); }); // enable pins
    setupHeater(printer, printer.config.getSection("extruder"), "T0");
    await mcu.connect();
    await mcu.close();
    const ours = decodeLines(dict, path).filter((l) => /oid=(10|11|15|16) /.test(l));
    const ref = readFileSync(`${REF}/cases/tk_move_cartesian/parsedump.txt`, "utf8").split("\n");
    const theirs = ref.filter((l) => /oid=(10|11|15|16) /.test(l)).filter((l) => !/^queue_digital_out .* clock=(?!3200000 )/.test(l));
    expect(ours).toEqual(theirs);
    expect(theirs.length).toBe(10);
    expect(lookupHeaters(printer).getStatus()).toEqual({
      available_heaters: ["heater_bed", "extruder"], available_sensors: ["heater_bed", "extruder"], available_monitors: [],
    });
  });

  const basicCfg = `
[extruder]
heater_pin: PB4
sensor_type: Generic 3950
sensor_pin: PK5
control: pid
pid_Kp: 22.2
pid_Ki: 1.08
pid_Kd: 114
min_temp: 0
max_temp: 250
${HEATER_BED_CFG}`;

  async function readyPrinter() {
    const p = makePrinter(basicCfg);
    const extruder = setupHeater(p.printer, p.printer.config.getSection("extruder"), "T0");
    p.printer.loadObject("heater_bed");
    await p.mcu.connect();
    p.printer.sendEvent("klippy:ready");
    const out: string[] = [];
    p.printer.gcode.registerOutputHandler((m) => out.push(m));
    return { ...p, extruder, out };
  }

  test("M104 / M140 set targets; out-of-range targets and bad parameters are clear G-code errors", async () => {
    const { printer, extruder, out, mcu } = await readyPrinter();
    const bed = lookupHeaters(printer).lookupHeater("heater_bed");
    await printer.gcode.runScript("M104 S210\nM140 S60");
    expect(extruder.targetTemp).toBe(210);
    expect(bed.targetTemp).toBe(60);
    await expect(printer.gcode.runScript("M104 S300")).rejects.toThrow("Requested temperature (300.0) out of range (0.0:250.0)");
    await expect(printer.gcode.runScript("M109 S1.2.3")).rejects.toThrow("Error on 'M109 S1.2.3': unable to parse 1.2.3");
    await expect(printer.gcode.runScript("M104 T1 S200")).rejects.toThrow("Extruder not configured");
    await printer.gcode.runScript("M104 T1 S0"); // turning off a missing extruder is fine
    await printer.gcode.runScript("SET_HEATER_TEMPERATURE HEATER=heater_bed TARGET=55");
    expect(bed.targetTemp).toBe(55);
    await printer.gcode.runScript("TURN_OFF_HEATERS");
    expect([extruder.targetTemp, bed.targetTemp]).toEqual([0, 0]);
    await expect(printer.gcode.runScript("TEMPERATURE_WAIT SENSOR=extruder")).rejects.toThrow("missing MINIMUM or MAXIMUM");
    // Each failed command was also reported to the G-code output as an error line.
    expect(out.length).toBe(4);
    expect(out.every((m) => m.startsWith("!! "))).toBe(true);
    await mcu.close();
  });

  test("readings drive the PID, are smoothed into the status, and report via M105", async () => {
    const { printer, extruder, mcu, path } = await readyPrinter();
    await printer.gcode.runScript("M104 S200");
    extruder.stats(0); // host check-in: power allowed
    const raw150 = adcSum(heaterAdc(extruder, 150));
    for (let i = 0; i < 10; i++) report(mcu, 0, 0.3 * i, raw150);
    expect(extruder.lastTemp).toBeCloseTo(150, 0);
    expect(extruder.getStatus().temperature).toBeGreaterThan(140);
    expect(extruder.getStatus().target).toBe(200);
    expect(extruder.lastPwmValue).toBe(1);
    const responses: string[] = [];
    printer.gcode.registerOutputHandler((m) => responses.push(m));
    await printer.gcode.runScript("M105");
    expect(responses.at(-1)).toMatch(/^ok B:0\.0 \/0\.0 T0:1[45]\d\.\d \/200\.0$|^B:0\.0 \/0\.0 T0:1[45]\d\.\d \/200\.0$/);
    await mcu.close();
    // Full power on the extruder PWM (oid 1): the whole 0.1 s cycle, one report period (0.3 s) after
    // the reading that asked for it (readings are dated 8 ms after their sample at 0.3·i s).
    const full = decodeLines(dict, path).filter((l) => /^queue_digital_out oid=1 clock=\d+ on_ticks=1600000$/.test(l));
    expect(full.length).toBe(1);
    const t = Number(/clock=(\d+)/.exec(full[0]!)![1]) / 16e6 - 0.308;
    expect(Math.abs(t / 0.3 - Math.round(t / 0.3))).toBeLessThan(1e-6);
  });

  test("a reading beyond max_temp shuts the printer down and turns every heater off", async () => {
    const { printer, extruder, mcu } = await readyPrinter();
    const bed = lookupHeaters(printer).lookupHeater("heater_bed");
    await printer.gcode.runScript("M104 S200\nM140 S60");
    extruder.stats(0);
    const hot = adcSum(heaterAdc(extruder, 260));
    for (let i = 0; i < 4; i++) report(mcu, 0, 0.3 * i, hot);
    expect(printer.isShutdown()).toBe(true);
    expect(extruder.lastTemp).toBeCloseTo(260, 0);
    expect(printer.getStateMessage()[0]).toBe(`Heater extruder temperature ${extruder.lastTemp.toFixed(1)} outside of min_temp/max_temp 0.0:250.0`);
    expect([extruder.targetTemp, bed.targetTemp]).toEqual([0, 0]);
    expect(extruder.lastPwmValue).toBe(0);
    await mcu.close();
  });

  test("config errors name the section and option", () => {
    const bad = (text: string) => () => {
      const { printer } = makePrinter(text);
      printer.loadObject("heater_bed");
    };
    const base = "[heater_bed]\nheater_pin: PH5\nsensor_pin: PK6\ncontrol: watermark\nmin_temp: 0\n";
    expect(bad(`${base}sensor_type: EPCOS 100K B57560G104F\nmax_temp: -5\n`)).toThrow("Option 'max_temp' in section 'heater_bed' must be above 0");
    expect(bad(`${base}sensor_type: Nonesuch 42\nmax_temp: 100\n`)).toThrow("Unknown temperature sensor 'Nonesuch 42'");
    expect(bad(`${base}sensor_type: EPCOS 100K B57560G104F\nmax_temp: 100\nmax_power: 1.5\n`)).toThrow("Option 'max_power' in section 'heater_bed' must have maximum of 1");
  });

  test("a custom [thermistor] defined after the heater that uses it", async () => {
    const { printer, mcu, path } = makePrinter(`
[heater_bed]
heater_pin: PH5
sensor_type: my bed thermistor
sensor_pin: PK6
control: watermark
min_temp: 0
max_temp: 110

[thermistor my bed thermistor]
temperature1: 25
resistance1: 100000
beta: 3950
`);
    const bed = printer.loadObject<{ heater: Heater }>("heater_bed").heater;
    await mcu.connect();
    await mcu.close();
    // Beta 3950 at 110 °C: R = 100k·exp(3950·(1/383.15 − 1/298.15)) in a divider with 4700 Ω.
    const r110 = 100000 * Math.exp(3950 * (1 / 383.15 - 1 / 298.15));
    const minRaw = Math.floor((r110 / (4700 + r110)) * 8184);
    expect(decodeLines(dict, path).find((l) => l.startsWith("query_analog_in"))).toContain(` min_value=${minRaw} `);
    expect(bed.minTemp).toBe(0);
  });
});
