import { describe, expect, test } from "bun:test";
import { ClockEstimator } from "../../src/mcu/clock-estimator.ts";
import { seededRandom } from "../../scripts/lib/random.ts";

/** An MCU clock running at nominal*(1+drift) that started at host time t0 with clock c0. */
function mcuClockAt(t: number, nominal: number, drift: number, t0: number, c0: number): number {
  return Math.floor(c0 + (t - t0) * nominal * (1 + drift));
}

describe("ClockEstimator", () => {
  const nominal = 16_000_000;
  const drift = 150e-6; // a real crystal 150 ppm fast
  const t0 = 100;
  const c0 = 123_456;

  function run(seed: number, samples: number, wrap = 0) {
    const rnd = seededRandom(seed);
    const est = new ClockEstimator(nominal);
    est.start(t0, c0);
    let t = t0;
    for (let i = 0; i < samples; i++) {
      t += i < 8 ? 0.05 : 0.9839;
      if (i < 8) est.forgetPrediction();
      // Wire delays of 0.3-0.5 ms each way; 3% of queries stall 20 ms on the way out.
      const outDelay = 0.0003 + rnd() * 0.0002 + (rnd() < 0.03 ? 0.02 : 0);
      const backDelay = 0.0003 + rnd() * 0.0002;
      const clock = mcuClockAt(t + outDelay, nominal, drift, t0, c0) + wrap;
      est.addSample(clock >>> 0, t, t + outDelay + backDelay);
    }
    return { est, t };
  }

  test("learns the MCU frequency and predicts its clock within the wire jitter despite stalled replies", () => {
    const { est, t } = run(1, 300);
    expect(Math.abs(est.estimate.freq / (nominal * (1 + drift)) - 1)).toBeLessThan(5e-6);
    const errors: number[] = [];
    for (let dt = 0; dt < 1; dt += 0.1) {
      const actual = mcuClockAt(t + dt, nominal, drift, t0, c0);
      errors.push(Math.abs(est.getClock(t + dt) - actual) / nominal);
    }
    // Each sample is read at the middle of its round trip (+-100 us here);
    // averaged, the error is far below that, and 20 ms stalls must not count.
    console.log(`estimator error: max ${(Math.max(...errors) * 1e6).toFixed(1)} us`);
    expect(Math.max(...errors)).toBeLessThan(50e-6);
    expect(est.counters.slow + est.counters.outliers).toBeGreaterThan(0); // the stalled replies were dropped
  });

  test("extends 32-bit clocks across a wrap, forwards and backwards", () => {
    const est = new ClockEstimator(nominal);
    est.start(0, 0xffff_ff00);
    expect(est.clock32ToClock64(0x10)).toBe(0x1_0000_0010);
    expect(est.clock32ToClock64(0xffff_fe00)).toBe(0xffff_fe00);
    // Samples keep the 64-bit clock monotonic through the wrap.
    const { est: e2 } = run(2, 50, 2 ** 32 - 16_000_000 * 20);
    expect(e2.lastClock).toBeGreaterThan(2 ** 32);
  });

  test("a host stall longer than a 32-bit wrap keeps the 64-bit clock (a 400 MHz MCU wraps every 10.7 s)", () => {
    const freq = 400_000_000;
    const est = new ClockEstimator(freq);
    const clockAt = (t: number) => Math.floor(t * freq); // the MCU booted at host time 0
    est.start(5, clockAt(5));
    const sample = (t: number) => est.addSample(clockAt(t + 0.0002) >>> 0, t, t + 0.0004);
    for (let t = 6; t <= 30; t += 1) sample(t);
    for (let t = 55; t <= 60; t += 1) sample(t); // nothing for 25 s: more than two wraps
    expect(est.lastClock).toBe(clockAt(60.0002));
    expect(Math.abs(est.getClock(61) - clockAt(61)) / freq).toBeLessThan(0.0005);
  });

  test("host time and clock conversions are inverse", () => {
    const { est } = run(3, 40);
    const h = 150.25;
    expect(est.clockToHostTime(est.getClock(h))).toBeCloseTo(h, 6);
  });
});
