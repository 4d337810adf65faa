// Resonance testing: the test sequence, the spectrum estimate and shaper fitting on synthetic
// accelerometer data with a known resonance, and the clear error without a live accelerometer.
import { describe, expect, test } from "bun:test";
import { calcFreqResponse, findBestShaper, kaiser, psd } from "../../src/extras/resonance/shaper-calibrate.ts";
import { batchLines } from "../support/printer-rig.ts";
import { CARTESIAN_MOTION_CFG } from "../support/printer-configs.ts";

describe("spectrum estimate", () => {
  test("Kaiser window: ends are 1/I0(beta), middle is 1", () => {
    const w = kaiser(5, 6);
    // I0(6) = 67.2344069764780 (tables of modified Bessel functions)
    expect(w[0]).toBeCloseTo(1 / 67.234406976478, 12);
    expect(w[4]).toBeCloseTo(1 / 67.234406976478, 12);
    expect(w[2]).toBeCloseTo(1, 12);
  });

  test("a 40 Hz sine: PSD peaks at 40 Hz and integrates to its power A^2/2", () => {
    const fs = 3200;
    const n = fs * 4;
    const a = 1000;
    const x = Float64Array.from({ length: n }, (_, i) => a * Math.sin(2 * Math.PI * 40 * (i / fs)));
    const { freqs, psd: p } = psd(x, fs, 2048);
    let peak = 0;
    for (let i = 1; i < p.length; i++) if (p[i]! > p[peak]!) peak = i;
    // bins are fs/nfft = 1.5625 Hz apart
    expect(Math.abs(freqs[peak]! - 40)).toBeLessThanOrEqual(fs / 2048);
    const df = fs / 2048;
    const power = p.reduce((s, v) => s + v, 0) * df;
    expect(power / ((a * a) / 2)).toBeCloseTo(1, 2);
  });
});

describe("shaper fitting", () => {
  test("a lightly damped 45 Hz resonance gets a shaper tuned near 45 Hz", () => {
    // Ringing of a 45 Hz oscillator (damping ratio 0.05) excited every 0.25 s, sampled at 3200 Hz
    const fs = 3200;
    const f0 = 45;
    const zeta = 0.05;
    const w0 = 2 * Math.PI * f0;
    const samples: number[][] = [];
    for (let i = 0; i < fs * 8; i++) {
      const t = i / fs;
      const since = t % 0.25;
      const ring = Math.exp(-zeta * w0 * since) * Math.sin(w0 * Math.sqrt(1 - zeta * zeta) * since);
      samples.push([t, 3000 * ring, 0, 0]);
    }
    const data = calcFreqResponse("test", samples)!;
    data.normalizeToFrequencies();
    const log: string[] = [];
    const [best, all] = findBestShaper(data, 5, null, 200, (m) => log.push(m));
    expect(all.map((s) => s.name)).toEqual(["zv", "mzv", "ei", "2hump_ei", "3hump_ei"]);
    // Single-mode shapers (zv, mzv) put their notch on the resonance
    for (const s of all.filter((r) => r.name === "zv" || r.name === "mzv")) expect(Math.abs(s.freq - f0)).toBeLessThan(f0 * 0.15);
    expect(best.vibrs).toBeLessThan(0.1);
    expect(log.some((l) => l.startsWith("Fitted shaper 'mzv' frequency = "))).toBe(true);
  });
});

describe("TEST_RESONANCES", () => {
  test("needs a live accelerometer: a clear error in batch mode", async () => {
    const cfg = `${CARTESIAN_MOTION_CFG}
[adxl345]
cs_pin: PG0
[resonance_tester]
accel_chip: adxl345
probe_points: 100, 100, 20
`;
    const ok = await batchLines(cfg, "G28\n");
    expect(ok.error).toBeNull();
    // The chip is configured on its SPI device (mode 3, 5 MHz); streaming starts only when measuring
    const spi = Number(/^config_spi oid=(\d+) pin=PG0/.exec(ok.lines.find((l) => l.includes("pin=PG0"))!)![1]);
    expect(ok.lines).toContain(`spi_set_bus oid=${spi} spi_bus=spi mode=3 rate=5000000`);
    expect(ok.lines.some((l) => new RegExp(`^config_adxl345 oid=\\d+ spi_oid=${spi}$`).test(l))).toBe(true);
    const r = await batchLines(cfg, "G28\nTEST_RESONANCES AXIS=X\n");
    expect(r.error ?? r.responses.join("\n")).toContain("accelerometer measurements need a live MCU");
  });
});
