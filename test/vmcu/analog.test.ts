import { describe, expect, test } from "bun:test";
import { configure, connect, FREQ, shutdownReason } from "./setup.ts";
import type { TestHost } from "./host.ts";

const HARDWARE = { heaters: [{ heaterPin: "PA2", thermistorPin: "PC0", maxRise: 300, timeConstant: 120 }] };
const SAMPLES = 8;
const ADC_MAX = 4095;

/** Klipper's thermistor conversion (beta 3950, 100k at 25 °C, 4.7k pull-up) of a raw report. */
function celsius(raw: number): number {
  const ratio = raw / (SAMPLES * ADC_MAX);
  const r = (4700 * ratio) / (1 - ratio);
  return 1 / (1 / 298.15 + Math.log(r / 100000) / 3950) - 273.15;
}

function reports(host: TestHost): { next: number; raw: number }[] {
  return host.messages("analog_in_state").map((m) => {
    const v = m.params.values as Uint8Array;
    return { next: m.params.next_clock as number, raw: v[0]! | (v[1]! << 8) };
  });
}

function queryLine(min = 0, max = SAMPLES * ADC_MAX, rangeCheck = 0): string {
  // klippy's heater ADC set-up: 8 samples 1 ms apart, a report every 300 ms
  return `query_analog_in oid=1 clock=${FREQ / 10} sample_ticks=${FREQ / 1000} sample_count=${SAMPLES} rest_ticks=${0.3 * FREQ} bytes_per_report=2 min_value=${min} max_value=${max} range_check_count=${rangeCheck}`;
}

describe("analog inputs and the thermal model", () => {
  test("a thermistor at ambient reads 25 °C in periodic analog_in_state reports", () => {
    const { mcu, host } = connect({ hardware: HARDWARE });
    configure(host, 2, ["config_digital_out oid=0 pin=PA2 value=0 default_value=0 max_duration=0", "config_analog_in oid=1 pin=PC0", queryLine()]);
    mcu.advance(1.05);
    const r = reports(host);
    expect(r.map((x) => x.next)).toEqual([0.4, 0.7, 1.0, 1.3].map((s) => Math.round(s * FREQ)));
    for (const x of r) expect(celsius(x.raw)).toBeCloseTo(25, 0);
  });

  test("a heater at full power warms the hotend along its time constant, and it cools when off", () => {
    const { mcu, host } = connect({ hardware: HARDWARE });
    configure(host, 2, ["config_digital_out oid=0 pin=PA2 value=0 default_value=0 max_duration=0", "config_analog_in oid=1 pin=PC0", queryLine()]);
    mcu.advance(0.1);
    host.send("update_digital_out oid=0 value=1");
    mcu.advance(60.05);
    const hot = celsius(reports(host).at(-1)!.raw);
    // first-order response after 60 s: 25 + 300·(1 − e^(−60/120))
    expect(hot).toBeGreaterThan(140);
    expect(hot).toBeLessThan(146);
    host.send("update_digital_out oid=0 value=0");
    mcu.advance(60);
    const cooled = celsius(reports(host).at(-1)!.raw);
    expect(cooled).toBeLessThan(hot - 40);
    expect(cooled).toBeGreaterThan(25);
  });

  test("readings outside min/max for range_check_count samples shut down with 'ADC out of range'", () => {
    const { mcu, host } = connect({ hardware: HARDWARE });
    // klippy sends the raw limits of min_temp/max_temp; a max of 1000 means ~25 °C is "too cold"
    configure(host, 2, ["config_digital_out oid=0 pin=PA2 value=0 default_value=0 max_duration=0", "config_analog_in oid=1 pin=PC0", queryLine(0, 1000, 4)]);
    host.send("update_digital_out oid=0 value=1");
    // each reading completes 7 ms after it starts (8 samples 1 ms apart); the 4th starts at 1.0 s
    mcu.advance(1.0065);
    expect(host.messages("shutdown")).toEqual([]);
    mcu.advance(0.001);
    expect(shutdownReason(host)).toBe("ADC out of range");
    expect(host.last("shutdown")!.params.clock).toBe(Math.round((0.1 + 0.9 + 0.007) * FREQ));
    expect(mcu.output("PA2")).toBe(0); // heater off
    const n = reports(host).length;
    mcu.advance(1);
    expect(reports(host).length).toBeGreaterThan(n); // sampling goes on after a shutdown, as in firmware
  });

  test("an open (unwired) ADC input reads full scale", () => {
    const { mcu, host } = connect();
    configure(host, 2, ["config_analog_in oid=1 pin=PC5", queryLine()]);
    mcu.advance(0.5);
    expect(reports(host)[0]!.raw).toBe(SAMPLES * ADC_MAX);
  });

  test("bytes_per_report batches several readings into one report", () => {
    const { mcu, host } = connect({ hardware: HARDWARE });
    configure(host, 2, ["config_analog_in oid=1 pin=PC0", queryLine().replace("bytes_per_report=2", "bytes_per_report=6")]);
    mcu.advance(1.05);
    const values = host.messages("analog_in_state").map((m) => (m.params.values as Uint8Array).length);
    expect(values).toEqual([6]);
  });

  test("bad heater configuration is a clear error", async () => {
    const { VirtualMcu } = await import("../../firmware-bridge/index.ts");
    expect(() => new VirtualMcu({ hardware: { heaters: [{ heaterPin: "PZ9", thermistorPin: "PC0" }] } })).toThrow("heaters[0].heaterPin: unknown pin 'PZ9'");
    expect(() => new VirtualMcu({ hardware: { heaters: [{ heaterPin: "PA1", thermistorPin: "PC0", timeConstant: -3 }] } })).toThrow(/timeConstant must be a positive number/);
  });
});
