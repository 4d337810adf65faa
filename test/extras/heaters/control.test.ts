import { describe, expect, test } from "bun:test";
import { type ControlOutput, ControlPid, ControlWatermark, type HeaterControl } from "../../../src/extras/heaters/control.ts";
import { ControlAutoTune } from "../../../src/extras/heaters/pid-autotune.ts";
import { ThermalPlant } from "../../support/thermal-plant.ts";

const DT = 0.3;

/** Drives a control algorithm against the plant; returns the sensed temperature trace. */
function run(plant: ThermalPlant, makeControl: (out: ControlOutput) => HeaterControl, seconds: number, target: () => number,
  onAlter?: (t: number) => void, stop?: (c: HeaterControl) => boolean) {
  const out: ControlOutput = {
    maxPower: 1,
    pwmDelay: DT,
    setPwm: (_t, v) => { plant.power = v; },
    alterTarget: (t) => onAlter?.(t),
  };
  const control = makeControl(out);
  const trace: Array<[number, number]> = [];
  for (let t = DT; t <= seconds; t += DT) {
    const sensed = plant.step(DT);
    control.temperatureUpdate(t, sensed, target());
    trace.push([t, sensed]);
    if (stop?.(control)) break;
  }
  return { control, trace };
}

describe("PID control", () => {
  test("Klipper's example extruder gains bring a hotend-like plant to 200 °C and hold it within 1 °C", () => {
    const plant = new ThermalPlant(25, 280, 120, 3);
    const { control, trace } = run(plant, (o) => new ControlPid(o, { kp: 22.2, ki: 1.08, kd: 114 }, 1), 600, () => 200);
    const late = trace.filter(([t]) => t > 400).map(([, v]) => v);
    expect(Math.min(...late)).toBeGreaterThan(199);
    expect(Math.max(...late)).toBeLessThan(201);
    expect(Math.max(...trace.map(([, v]) => v))).toBeLessThan(215); // bounded overshoot
    expect(control.checkBusy(600, late[late.length - 1]!, 200)).toBe(false);
  });

  test("output is clamped to max_power and the integral does not wind up while saturated", () => {
    const powers: number[] = [];
    const out: ControlOutput = { maxPower: 0.6, pwmDelay: DT, setPwm: (_t, v) => powers.push(v), alterTarget: () => {} };
    const pid = new ControlPid(out, { kp: 22.2, ki: 1.08, kd: 114 }, 1);
    // Far below target for a long time: output saturates at max_power.
    for (let t = DT; t < 300; t += DT) pid.temperatureUpdate(t, 25, 200);
    expect(Math.max(...powers)).toBe(0.6);
    // Then at target: the 300 s of −175 °C error were not integrated while the output was saturated,
    // so once the derivative has settled the output is well below max_power rather than stuck there.
    let t = 300;
    for (let temp = 25; temp <= 200; temp += 1, t += DT) pid.temperatureUpdate(t, temp, 200);
    for (const end = t + 10; t < end; t += DT) pid.temperatureUpdate(t, 200, 200);
    expect(powers[powers.length - 1]!).toBeLessThan(0.3);
  });

  test("derivative is smoothed over smooth_time: one noisy reading moves the output less", () => {
    const lastPower = (smooth: number) => {
      let p = 0;
      const pid = new ControlPid({ maxPower: 1, pwmDelay: DT, setPwm: (_t, v) => { p = v; }, alterTarget: () => {} },
        { kp: 22.2, ki: 0, kd: 114 }, smooth);
      for (let t = DT; t < 30; t += DT) pid.temperatureUpdate(t, 199, 200);
      pid.temperatureUpdate(30, 198, 200); // one reading 1 °C low
      return p;
    };
    // A drop raises the output (−Kd·slope); unsmoothed (dt ≥ smooth_time) the jump is larger.
    expect(lastPower(0.1)).toBeGreaterThan(lastPower(2));
  });
});

describe("watermark control", () => {
  test("keeps a bed-like plant within max_delta plus one reading's drift of the target", () => {
    const plant = new ThermalPlant(25, 120, 200);
    const { trace, control } = run(plant, (o) => new ControlWatermark(o, 2), 1500, () => 60);
    const late = trace.filter(([t]) => t > 1000).map(([, v]) => v);
    expect(Math.min(...late)).toBeGreaterThan(57.5);
    expect(Math.max(...late)).toBeLessThan(62.5);
    expect(control.checkBusy(0, 57, 60)).toBe(true);
    expect(control.checkBusy(0, 59, 60)).toBe(false);
  });
});

describe("PID_CALIBRATE relay autotune", () => {
  test("oscillates the plant, completes, and its gains then control the plant to target", () => {
    const plant = new ThermalPlant(25, 280, 120, 5);
    let target = 200;
    const { control } = run(plant, (o) => new ControlAutoTune(o, 200), 2000, () => target, (t) => { target = t; },
      (c) => !c.checkBusy(0, 0, 0));
    const tune = control as ControlAutoTune;
    expect(tune.isComplete).toBe(true);
    // Maxima above the target, minima below target − 5.
    const temps = tune.peaks.slice(2).map(([t]) => t);
    expect(Math.max(...temps)).toBeGreaterThan(200);
    expect(Math.min(...temps)).toBeLessThan(195);
    const gains = tune.finalGains();
    expect(gains.kp).toBeGreaterThan(0);
    expect(gains.ki).toBeGreaterThan(0);
    expect(gains.kd).toBeGreaterThan(0);
    // Ziegler–Nichols: Ki = Kp/(Tu/2), Kd = Kp·Tu/8, so Kd·Ki = Kp²/4.
    expect((gains.kd * gains.ki) / (gains.kp * gains.kp)).toBeCloseTo(0.25, 9);

    const fresh = new ThermalPlant(25, 280, 120, 5);
    const { trace } = run(fresh, (o) => new ControlPid(o, gains, 1), 900, () => 200);
    const late = trace.filter(([t]) => t > 700).map(([, v]) => v);
    expect(Math.min(...late)).toBeGreaterThan(198);
    expect(Math.max(...late)).toBeLessThan(202);
  });
});
