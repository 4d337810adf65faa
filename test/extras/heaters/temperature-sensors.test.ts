// [temperature_sensor] sections: host CPU temperature from a thermal-zone file, and an analog sensor
// with its measured min/max; readings out of range shut the printer down with Klipper's message.
import { SHARED_REFERENCE, loadDict } from "../../support/reference.ts";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUILTIN_THERMISTORS } from "../../../src/extras/heaters/builtin-sensors.ts";
import { parseThermalZone } from "../../../src/extras/heaters/temperature-host.ts";
import { Thermistor } from "../../../src/extras/heaters/thermistor.ts";
import type { TemperatureSensorModule } from "../../../src/extras/heaters/temperature-sensor.ts";
import { simPrinter } from "../../support/printer-rig.ts";
import { decodeLines } from "../../support/serial.ts";
import { adcSum, analogInState } from "../../support/adc-report.ts";

const dir = mkdtempSync(join(tmpdir(), "stepline-temp-host-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("temperature_host", () => {
  test("reads millidegrees once a second, reports status, M105 and min/max", async () => {
    const zone = join(dir, "temp");
    writeFileSync(zone, "45250\n");
    const sim = await simPrinter(`
[temperature_sensor cpu]
sensor_type: temperature_host
sensor_path: ${zone}
max_temp: 80
gcode_id: C
`);
    const sensor = sim.printer.loadObject<TemperatureSensorModule>("temperature_sensor cpu");
    await sim.start();
    await sim.reactor.advance(0.5);
    expect(sensor.getStatus()).toEqual({ temperature: 45.25, measured_min_temp: 45.25, measured_max_temp: 45.25 });
    writeFileSync(zone, "51000\n");
    await sim.reactor.advance(1.5);
    expect(sensor.getStatus()).toEqual({ temperature: 51, measured_min_temp: 45.25, measured_max_temp: 51 });
    expect(sim.printer.lookupObject<{ getStatus(): unknown }>("temperature_host cpu").getStatus()).toEqual({ temperature: 51 });
    await sim.printer.gcode.runScript("M105");
    expect(sim.out.at(-1)).toBe("C:51.0 /0.0");
    writeFileSync(zone, "85500\n");
    await sim.reactor.advance(3);
    expect(sim.printer.isShutdown()).toBe(true);
    expect(sim.printer.getStateMessage()[0]).toBe("HOST temperature 85.5 above maximum temperature of 80.0.");
    await sim.close();
  });

  test("a missing thermal zone file is a config error; garbage in the file is not a temperature", async () => {
    const sim = await simPrinter(`
[temperature_sensor cpu]
sensor_type: temperature_host
sensor_path: ${join(dir, "does-not-exist")}
`);
    expect(() => sim.printer.loadObject("temperature_sensor cpu")).toThrow(`Unable to open temperature file '${join(dir, "does-not-exist")}'`);
    await sim.close();
    expect(() => parseThermalZone("hot\n", "/x")).toThrow("temperature_host: '/x' does not hold a number");
    expect(parseThermalZone("-1500\n", "/x")).toBe(-1.5);
  });
});

describe("analog temperature_sensor", () => {
  test("tracks measured min and max and the reading", async () => {
    const sim = await simPrinter(`
[temperature_sensor board]
sensor_type: Generic 3950
sensor_pin: PK5
`);
    const sensor = sim.printer.loadObject<TemperatureSensorModule>("temperature_sensor board");
    await sim.start();
    expect(sim.printer.pins.activePins().map((p) => p.pin)).toEqual(["PK5"]);
    const conv = new Thermistor(4700, 0, BUILTIN_THERMISTORS["Generic 3950"]!);
    for (const [t, temp] of [[1, 30], [2, 45], [3, 38]] as const) {
      sim.mcu.receive(analogInState(0, Math.trunc((t + 0.3) * 16e6), adcSum(conv.calcAdc(temp))));
    }
    const s = sensor.getStatus();
    expect(s.temperature).toBeCloseTo(38, 0);
    expect(s.measured_min_temp).toBeCloseTo(30, 0);
    expect(s.measured_max_temp).toBeCloseTo(45, 0);
    await sim.close();
  });
});

describe("DS18B20", () => {
  test("tk_linuxtest: config and query lines equal Klipper's; readings in millidegrees", async () => {
    const REF = `${SHARED_REFERENCE}/klipper`;
    const { PrinterConfig } = await import("../../../src/core/config/index.ts");
    const { Printer } = await import("../../../src/core/printer.ts");
    const { Mcu } = await import("../../../src/mcu/mcu.ts");
    const dict = loadDict("linuxprocess.dict");
    const out = join(dir, "ds18b20.serial");
    const printer = new Printer({ config: PrinterConfig.load(`${REF}/cases/tk_linuxtest/printer.cfg`), startArgs: { debugoutput: out } });
    const mcu = new Mcu("mcu", { batch: { dict, outputPath: out }, log: { info: () => {}, warn: () => {} } });
    printer.addObject("mcu", mcu);
    const sensor = printer.loadObject<TemperatureSensorModule>("temperature_sensor my_ds18b20");
    await mcu.connect();
    (mcu as unknown as { dispatchResponse(m: unknown): void }).dispatchResponse({
      name: "ds18b20_result", params: { oid: 0, next_clock: 5 * 50_000_000, value: 23_437, fault: 0 },
    });
    await mcu.close();
    expect(sensor.getStatus().temperature).toBe(23.44);
    const lines = decodeLines(dict, out);
    expect(lines).toEqual(readFileSync(`${REF}/cases/tk_linuxtest/parsedump.txt`, "utf8").trimEnd().split("\n"));
  });
});
