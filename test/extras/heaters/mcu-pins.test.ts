// MCU pin objects against the real batch-mode Mcu: the config lines they emit, decoded from the
// framed output, must equal the lines Klipper sent for the same heater in the reference case.
import { SHARED_REFERENCE, loadDict } from "../../support/reference.ts";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AdcTemperatureSensor } from "../../../src/extras/heaters/adc-temperature-sensor.ts";
import { BUILTIN_THERMISTORS } from "../../../src/extras/heaters/builtin-sensors.ts";
import { McuAdc } from "../../../src/core/mcu-pins/mcu-adc.ts";
import { Thermistor } from "../../../src/extras/heaters/thermistor.ts";
import { McuDigitalOut } from "../../../src/core/mcu-pins/mcu-digital-out.ts";
import { McuPwm } from "../../../src/core/mcu-pins/mcu-pwm.ts";
import { Mcu } from "../../../src/mcu/mcu.ts";
import { decodeLines } from "../../support/serial.ts";
import { adcSum, analogInState } from "../../support/adc-report.ts";

const REF = `${SHARED_REFERENCE}/klipper`;
const dir = mkdtempSync(join(tmpdir(), "stepline-heater-pins-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet = { info: () => {}, warn: () => {} };
const dict = loadDict("atmega2560.dict");

function newMcu(name: string, skipOids: number) {
  const mcu = new Mcu("mcu", { batch: { dict, outputPath: join(dir, name) }, log: quiet });
  for (let i = 0; i < skipOids; i++) mcu.createOid();
  return mcu;
}

describe("heater pins emit Klipper's config commands", () => {
  test("tk_move_cartesian [heater_bed]: analog input, soft PWM heater and their init lines", async () => {
    const ref = readFileSync(`${REF}/cases/tk_move_cartesian/parsedump.txt`, "utf8").split("\n");
    const path = "bed.serial";
    const mcu = newMcu(path, 10); // steppers and endstops take oids 0-9 in that config
    const adc = new McuAdc(mcu, "PK6");
    const sensor = new AdcTemperatureSensor("heater_bed", adc, new Thermistor(4700, 0, BUILTIN_THERMISTORS["EPCOS 100K B57560G104F"]!));
    sensor.setupMinmax(0, 110);
    const pwm = new McuPwm(mcu, "PH5", false);
    pwm.setupCycleTime(0.1);
    pwm.setupMaxDuration(3);
    await mcu.connect();
    pwm.setPwm(2.0, 0.25);
    await mcu.close();
    const lines = decodeLines(dict, join(dir, path));
    const ours = lines.filter((l) => / oid=1[01] /.test(l) || /oid=1[01]$/.test(l));
    const theirs = ref.filter((l) => / oid=1[01] /.test(l)).slice(0, 5);
    expect(ours.slice(0, 5)).toEqual(theirs);
    expect(theirs).toContain("query_analog_in oid=10 clock=17600000 sample_ticks=16000 sample_count=8 rest_ticks=4800000 bytes_per_report=2 min_value=4100 max_value=8070 range_check_count=4");
    // 25 % of a 0.1 s cycle at 16 MHz, at print time 2 s.
    expect(ours[5]).toBe("queue_digital_out oid=11 clock=32000000 on_ticks=400000");
  });

  test("an inverted PWM fan pin with a shutdown speed and an enable pin", async () => {
    const path = "fan.serial";
    const mcu = newMcu(path, 0);
    const pwm = new McuPwm(mcu, "PA0", true);
    pwm.setupMaxDuration(0);
    pwm.setupCycleTime(0.01);
    pwm.setupStartValue(0, 1);
    const en = new McuDigitalOut(mcu, "PA1", false);
    en.setupMaxDuration(0);
    await mcu.connect();
    pwm.setPwm(1, 0.75);
    en.setDigital(1, 1);
    await mcu.close();
    expect(decodeLines(dict, join(dir, path))).toEqual([
      "allocate_oids count=2",
      "config_digital_out oid=0 pin=PA0 value=1 default_value=0 max_duration=0",
      "set_digital_out_pwm_cycle oid=0 cycle_ticks=160000",
      "config_digital_out oid=1 pin=PA1 value=0 default_value=0 max_duration=0",
      expect.stringMatching(/^finalize_config crc=\d+$/),
      "queue_digital_out oid=0 clock=3200000 on_ticks=160000",
      "queue_digital_out oid=0 clock=16000000 on_ticks=40000",
      "queue_digital_out oid=1 clock=16000000 on_ticks=1",
    ]);
  });

  test("configuration mistakes are clear errors at config time", async () => {
    const mcu = newMcu("bad.serial", 0);
    const pwm = new McuPwm(mcu, "PA0", false);
    pwm.setupStartValue(0, 0.5); // max_duration defaults to 2 s
    await expect(mcu.connect()).rejects.toThrow("Pin with max duration must have start value equal to shutdown value");
    await mcu.close();
    const mcu2 = newMcu("bad2.serial", 0);
    const soft = new McuPwm(mcu2, "PA0", false);
    soft.setupMaxDuration(0);
    soft.setupStartValue(0, 0.5);
    await expect(mcu2.connect()).rejects.toThrow("shutdown value must be 0.0 or 1.0 on soft pwm");
    await mcu2.close();
  });

  test("analog_in_state reports become temperatures dated at the end of sampling", async () => {
    const mcu = newMcu("adc.serial", 0);
    const adc = new McuAdc(mcu, "PK5");
    const th = new Thermistor(4700, 0, BUILTIN_THERMISTORS["EPCOS 100K B57560G104F"]!);
    const sensor = new AdcTemperatureSensor("extruder", adc, th);
    sensor.setupMinmax(0, 250);
    const seen: Array<[number, number]> = [];
    sensor.setupCallback((t, temp) => seen.push([t, temp]));
    await mcu.connect();
    (mcu as unknown as { dispatchResponse(m: unknown): void }).dispatchResponse(analogInState(0, 16000000 * 10, adcSum(th.calcAdc(200))));
    await mcu.close();
    expect(seen.length).toBe(1);
    // Sample taken one report period before next_clock, plus 8 samples of 1 ms.
    expect(seen[0]![0]).toBeCloseTo(10 - 0.3 + 0.008, 9);
    expect(seen[0]![1]).toBeCloseTo(200, 0);
  });
});
