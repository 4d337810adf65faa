import { describe, expect, test } from "bun:test";
import { BUILTIN_RESISTANCE_SENSORS, BUILTIN_THERMISTORS, BUILTIN_VOLTAGE_SENSORS } from "../../../src/extras/heaters/builtin-sensors.ts";
import { LinearResistance, LinearVoltage } from "../../../src/extras/heaters/linear-sensors.ts";
import { Thermistor } from "../../../src/extras/heaters/thermistor.ts";

// Voltage divider: thermistor (plus inline resistor) to ground, pullup to the reference.
const dividerAdc = (r: number, pullup: number, inline = 0) => (r + inline) / (pullup + r + inline);
const K = 273.15;

describe("Klipper's built-in thermistors", () => {
  const threePoint = Object.entries(BUILTIN_THERMISTORS).filter(([, p]) => p.kind === "steinhart-hart");
  const beta = Object.entries(BUILTIN_THERMISTORS).filter(([, p]) => p.kind === "beta");

  test("all eight of Klipper's names are defined", () => {
    expect(Object.keys(BUILTIN_THERMISTORS).sort()).toEqual([
      "ATC Semitec 104GT-2", "ATC Semitec 104NT-4-R025H42G", "EPCOS 100K B57560G104F", "Generic 3950",
      "Honeywell 100K 135-104LAG-J01", "NTC 100K MGB18-104F39050L32", "SliceEngineering 450", "TDK NTCG104LH104JT1",
    ]);
  });

  for (const [name, p] of threePoint) {
    if (p.kind !== "steinhart-hart") continue;
    test(`${name}: the curve passes through its three calibration points`, () => {
      const th = new Thermistor(4700, 0, p);
      for (const [t, r] of [[p.t1, p.r1], [p.t2, p.r2], [p.t3, p.r3]] as const) {
        expect(th.calcTemp(dividerAdc(r, 4700))).toBeCloseTo(t, 6);
        expect(th.resistanceAt(t) / r).toBeCloseTo(1, 9);
      }
    });
  }

  for (const [name, p] of beta) {
    if (p.kind !== "beta") continue;
    test(`${name}: follows R = R25·exp(β(1/T − 1/T25))`, () => {
      const th = new Thermistor(4700, 0, p);
      for (const t of [0, 25, 60, 110, 200, 280]) {
        const r = p.r1 * Math.exp(p.beta * (1 / (t + K) - 1 / (p.t1 + K)));
        expect(th.calcTemp(dividerAdc(r, 4700))).toBeCloseTo(t, 6);
      }
    });
  }

  test("calcAdc inverts calcTemp (Cardano root) across the range", () => {
    for (const [, p] of Object.entries(BUILTIN_THERMISTORS)) {
      const th = new Thermistor(4700, 0, p);
      for (let t = -20; t <= 400; t += 7) expect(th.calcTemp(th.calcAdc(t))).toBeCloseTo(t, 6);
    }
  });

  test("pullup_resistor and inline_resistor change the divider as a circuit would", () => {
    const p = BUILTIN_THERMISTORS["Generic 3950"]!;
    const th = new Thermistor(2200, 330, p);
    // At 150 °C the thermistor is 1770 Ω; the ADC sees 1770 + 330 Ω against 2200 Ω.
    expect(th.calcAdc(150)).toBeCloseTo(2100 / 4300, 9);
    expect(th.calcTemp(2100 / 4300)).toBeCloseTo(150, 6);
  });

  test("readings at the rails stay finite (open or shorted sensor)", () => {
    const th = new Thermistor(4700, 0, BUILTIN_THERMISTORS["EPCOS 100K B57560G104F"]!);
    expect(Number.isFinite(th.calcTemp(1))).toBe(true);
    expect(th.calcTemp(1)).toBeLessThan(-20);
    expect(th.calcTemp(0)).toBeGreaterThan(500);
    expect(th.calcAdc(-300)).toBe(1);
  });

  test("three points that do not fit Steinhart-Hart fall back to a beta through points 1 and 3", () => {
    // Points from a pure beta=3950 curve but with point 2 pulled low give c3 <= 0.
    const r = (t: number) => 100000 * Math.exp(3950 * (1 / (t + K) - 1 / (25 + K)));
    const th = new Thermistor(4700, 0, { kind: "steinhart-hart", t1: 25, r1: 100000, t2: 100, r2: r(100) * 0.6, t3: 250, r3: r(250) });
    expect(th.coefficients.c3).toBe(0);
    expect(th.calcTemp(dividerAdc(100000, 4700))).toBeCloseTo(25, 6);
    expect(th.calcTemp(dividerAdc(r(250), 4700))).toBeCloseTo(250, 6);
  });
});

describe("table sensors", () => {
  test("PT1000 hits the Callendar-Van Dusen resistance at every table point", () => {
    const pt = new LinearResistance(BUILTIN_RESISTANCE_SENSORS.PT1000!, 4700);
    for (const t of [0, 20, 100, 250, 480]) {
      const r = 1000 * (1 + 3.9083e-3 * t - 5.775e-7 * t * t);
      expect(pt.calcTemp(dividerAdc(r, 4700))).toBeCloseTo(t, 6);
      expect(pt.calcAdc(t)).toBeCloseTo(dividerAdc(r, 4700), 9);
    }
  });

  test("PT100 INA826: 4400 Ω pullup at 5 V amplified ten times", () => {
    const s = new LinearVoltage(BUILTIN_VOLTAGE_SENSORS["PT100 INA826"]!, 5);
    const r200 = 100 * (1 + 3.9083e-3 * 200 - 5.775e-7 * 200 * 200);
    const volts = (10 * 5 * r200) / (4400 + r200);
    expect(s.calcTemp(volts / 5)).toBeCloseTo(200, 6);
  });

  test("AD595 interpolates between datasheet rows and honours adc_voltage", () => {
    const s = new LinearVoltage(BUILTIN_VOLTAGE_SENSORS.AD595!, 5);
    expect(s.calcTemp(1.015 / 5)).toBeCloseTo(100, 9);
    expect(s.calcTemp((1.015 + 1.219) / 2 / 5)).toBeCloseTo(110, 9);
    const s33 = new LinearVoltage(BUILTIN_VOLTAGE_SENSORS.AD595!, 3.3);
    expect(s33.calcTemp(1.015 / 3.3)).toBeCloseTo(100, 9);
    // Rows above 3.3 V cannot be measured and are dropped.
    expect(s33.ignored.length).toBeGreaterThan(0);
    expect(s33.calcAdc(100)).toBeCloseTo(1.015 / 3.3, 9);
  });

  test("a table with repeated readings is a clear error", () => {
    expect(() => new LinearResistance([[20, 1000], [30, 1000]], 4700)).toThrow("duplicate value");
    expect(() => new LinearResistance([[20, 1000]], 4700)).toThrow("need at least two samples");
  });
});
