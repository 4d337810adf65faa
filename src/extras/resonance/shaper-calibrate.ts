// Input shaper calibration from accelerometer data: power spectral density (Welch's method with
// a Kaiser window, half-overlapping windows of ~0.5 s), then for each shaper type a sweep over
// shaper frequencies scoring the vibrations the shaper leaves (over a few damping ratios) against
// the smoothing it adds; the best compromise is recommended.
import { writeFileSync } from "node:fs";
import { GCodeError } from "../../core/gcode/errors.ts";
import { DEFAULT_DAMPING_RATIO, getShaperCfg, initShaper, SHAPER_VIBRATION_REDUCTION, type Shaper } from "../../motion/steps/shaper-defs.ts";

const MIN_FREQ = 5;
const MAX_FREQ = 200;
const WINDOW_T_SEC = 0.5;
const MAX_SHAPER_FREQ = 150;
const TEST_DAMPING_RATIOS = [0.075, 0.1, 0.15];
export const AUTOTUNE_SHAPERS = ["zv", "mzv", "ei", "2hump_ei", "3hump_ei"];

/** Modified Bessel function of the first kind, order 0 (power series). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** Kaiser window of length n (numpy.kaiser). */
export function kaiser(n: number, beta: number): Float64Array {
  const w = new Float64Array(n);
  const den = besselI0(beta);
  for (let i = 0; i < n; i++) {
    const r = (2 * i) / (n - 1) - 1;
    w[i] = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / den;
  }
  return w;
}

/** In-place iterative radix-2 complex FFT (n a power of two). */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(ang * k);
        const wi = Math.sin(ang * k);
        const a = i + k;
        const b = a + len / 2;
        const xr = re[b]! * wr - im[b]! * wi;
        const xi = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
      }
    }
  }
}

/** One-sided PSD of `x` sampled at `fs` (Welch: Kaiser(6) windows of nfft, half overlap, detrended by mean). */
export function psd(x: Float64Array, fs: number, nfft: number): { freqs: Float64Array; psd: Float64Array } {
  const window = kaiser(nfft, 6);
  let wsum = 0;
  for (const w of window) wsum += w * w;
  const scale = 1 / wsum;
  const overlap = nfft >> 1;
  const step = nfft - overlap;
  const nWindows = Math.floor((x.length - overlap) / step);
  const bins = nfft / 2 + 1;
  const out = new Float64Array(bins);
  const re = new Float64Array(nfft);
  const im = new Float64Array(nfft);
  for (let w = 0; w < nWindows; w++) {
    const start = w * step;
    let mean = 0;
    for (let i = 0; i < nfft; i++) mean += x[start + i]!;
    mean /= nfft;
    for (let i = 0; i < nfft; i++) {
      re[i] = window[i]! * (x[start + i]! - mean);
      im[i] = 0;
    }
    fft(re, im);
    for (let k = 0; k < bins; k++) {
      let p = ((re[k]! * re[k]! + im[k]! * im[k]!) * scale) / fs;
      if (k > 0 && k < bins - 1) p *= 2;
      out[k]! += p;
    }
  }
  for (let k = 0; k < bins; k++) out[k]! /= nWindows;
  const freqs = Float64Array.from({ length: bins }, (_, k) => (k * fs) / nfft);
  return { freqs, psd: out };
}

export class CalibrationData {
  private normalized = false;
  readonly dataSets: CalibrationData[] = [];

  constructor(
    readonly name: string | null,
    readonly freqBins: Float64Array,
    readonly psdSum: Float64Array,
    readonly psdX: Float64Array,
    readonly psdY: Float64Array,
    readonly psdZ: Float64Array,
  ) {}

  addData(other: CalibrationData): void {
    this.dataSets.push(...other.datasets());
  }

  datasets(): CalibrationData[] {
    return [this, ...this.dataSets];
  }

  /** Divide by frequency (acceleration -> a velocity-like spectrum) and damp the lowest bins. */
  normalizeToFrequencies(): void {
    if (!this.normalized) {
      for (const p of [this.psdSum, this.psdX, this.psdY, this.psdZ]) {
        for (let i = 0; i < p.length; i++) {
          const f = this.freqBins[i]!;
          p[i]! /= f + 0.1;
          if (f < 2 * MIN_FREQ) p[i]! *= Math.exp(-((2 * MIN_FREQ / (f + 0.1)) ** 2) + 1);
        }
      }
      this.normalized = true;
    }
    for (const d of this.dataSets) d.normalizeToFrequencies();
  }
}

/** Samples [time, x, y, z] -> spectra; null when there are too few samples for one window. */
export function calcFreqResponse(name: string | null, samples: readonly (readonly number[])[]): CalibrationData | null {
  const n = samples.length;
  if (n < 2) return null;
  const t = samples[n - 1]![0]! - samples[0]![0]!;
  const fs = n / t;
  const m = 2 ** Math.trunc(fs * WINDOW_T_SEC - 1).toString(2).length;
  if (n <= m) return null;
  const axis = (i: number) => Float64Array.from(samples, (s) => s[i]!);
  const px = psd(axis(1), fs, m);
  const py = psd(axis(2), fs, m);
  const pz = psd(axis(3), fs, m);
  const sum = px.psd.map((v, i) => v + py.psd[i]! + pz.psd[i]!);
  return new CalibrationData(name, px.freqs, sum, px.psd, py.psd, pz.psd);
}

/** Relative amplitude left by a shaper on an oscillator at each frequency. */
function estimateShaper(shaper: Shaper, dampingRatio: number, freqs: Float64Array): Float64Array {
  const { A, T } = shaper;
  const invD = 1 / A.reduce((s, a) => s + a, 0);
  const tLast = T[T.length - 1]!;
  return freqs.map((f) => {
    const omega = 2 * Math.PI * f;
    const damping = dampingRatio * omega;
    const omegaD = omega * Math.sqrt(1 - dampingRatio * dampingRatio);
    let s = 0;
    let c = 0;
    for (let i = 0; i < A.length; i++) {
      const w = A[i]! * Math.exp(-damping * (tLast - T[i]!));
      s += w * Math.sin(omegaD * T[i]!);
      c += w * Math.cos(omegaD * T[i]!);
    }
    return Math.sqrt(s * s + c * c) * invD;
  });
}

function remainingVibrations(shaper: Shaper, dr: number, freqs: Float64Array, psdv: Float64Array): [number, Float64Array] {
  const vals = estimateShaper(shaper, dr, freqs);
  let max = 0;
  for (const p of psdv) max = Math.max(max, p);
  const threshold = max / SHAPER_VIBRATION_REDUCTION;
  let remaining = 0;
  let all = 0;
  for (let i = 0; i < psdv.length; i++) {
    remaining += Math.max(vals[i]! * psdv[i]! - threshold, 0);
    all += Math.max(psdv[i]! - threshold, 0);
  }
  return [remaining / all, vals];
}

/** Positional smoothing (mm) a shaper causes at an acceleration and square corner velocity. */
export function shaperSmoothing(shaper: Shaper, accel = 5000, scv = 5): number {
  const half = accel * 0.5;
  const { A, T } = shaper;
  const invD = 1 / A.reduce((s, a) => s + a, 0);
  const ts = A.reduce((s, a, i) => s + a * T[i]!, 0) * invD;
  let o90 = 0;
  let o180 = 0;
  for (let i = 0; i < T.length; i++) {
    const dt = T[i]! - ts;
    if (T[i]! >= ts) o90 += A[i]! * (scv + half * dt) * dt;
    o180 += A[i]! * half * dt * dt;
  }
  return Math.max(o90 * invD * Math.SQRT2, o180 * invD);
}

/** Largest x for which `pred(x)` holds (pred monotonic, true near 0). */
function bisect(pred: (x: number) => boolean): number {
  let left = 1;
  let right = 1;
  if (!pred(1e-9)) return 0;
  while (!pred(left)) {
    right = left;
    left *= 0.5;
  }
  if (right === left) while (pred(right)) right *= 2;
  while (right - left > 1e-8) {
    const mid = (left + right) * 0.5;
    if (pred(mid)) left = mid;
    else right = mid;
  }
  return left;
}

export function shaperMaxAccel(shaper: Shaper, scv: number): number {
  return bisect((a) => shaperSmoothing(shaper, a, scv) <= 0.12);
}

function interp(x: number, xs: Float64Array, ys: Float64Array): number {
  if (x <= xs[0]!) return ys[0]!;
  if (x >= xs[xs.length - 1]!) return ys[ys.length - 1]!;
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= x) lo = mid;
    else hi = mid;
  }
  return ys[lo]! + ((ys[hi]! - ys[lo]!) * (x - xs[lo]!)) / (xs[hi]! - xs[lo]!);
}

export interface CalibrationResult {
  name: string;
  freq: number;
  freqBins: Float64Array;
  vals: Float64Array;
  vibrs: number;
  smoothing: number;
  score: number;
  maxAccel: number;
}

/** Sweep the shaper's frequency from high to low; returns [selected, ...all results]. */
export function fitShaper(name: string, data: CalibrationData, scv: number, maxSmoothing: number | null, maxFreq: number | null): CalibrationResult[] {
  const cfg = getShaperCfg(name)!;
  const freqEnd = MAX_SHAPER_FREQ;
  const freqStart = Math.min(cfg.minFreq, freqEnd - 1e-7);
  const testFreqs: number[] = [];
  for (let f = freqStart; f < freqEnd; f = freqStart + testFreqs.length * 0.2) testFreqs.push(f);
  const top = Math.max(maxFreq ?? MAX_FREQ, testFreqs[testFreqs.length - 1]!);
  let minFreq = top;
  for (const d of data.datasets()) minFreq = Math.min(minFreq, d.freqBins[0]!);
  const outBins: number[] = [];
  for (let f = minFreq; f < top; f = minFreq + outBins.length * 0.2) outBins.push(f);
  const shaperFreqBins = Float64Array.from(outBins);
  let best: CalibrationResult | null = null;
  const results: CalibrationResult[] = [];
  for (const testFreq of [...testFreqs].reverse()) {
    const shaper = initShaper(name, testFreq, DEFAULT_DAMPING_RATIO)!;
    const smoothing = shaperSmoothing(shaper, 5000, scv);
    if (maxSmoothing && smoothing > maxSmoothing && best) return [best, ...results];
    let vibrs = 0;
    const perSet: [Float64Array, Float64Array][] = [];
    for (const d of data.datasets()) {
      const keep = [...d.freqBins.keys()].filter((i) => d.freqBins[i]! <= top);
      const bins = Float64Array.from(keep, (i) => d.freqBins[i]!);
      const p = Float64Array.from(keep, (i) => d.psdSum[i]!);
      const vals = new Float64Array(bins.length);
      for (const dr of TEST_DAMPING_RATIOS) {
        const [v, sv] = remainingVibrations(shaper, dr, bins, p);
        for (let i = 0; i < vals.length; i++) vals[i] = Math.max(vals[i]!, sv[i]!);
        vibrs = Math.max(vibrs, v);
      }
      perSet.push([bins, vals]);
    }
    const score = smoothing * (vibrs ** 1.5 + vibrs * 0.2 + 0.01);
    const vals = shaperFreqBins.map((f) => Math.max(0, ...perSet.map(([b, v]) => interp(f, b, v))));
    const res: CalibrationResult = { name, freq: testFreq, freqBins: shaperFreqBins, vals, vibrs, smoothing, score, maxAccel: shaperMaxAccel(shaper, scv) };
    results.push(res);
    if (best === null || best.vibrs > res.vibrs) best = res;
  }
  // Prefer lower scores (less smoothing) among results nearly as good as the best
  let selected = best!;
  for (const r of [...results].reverse()) if (r.vibrs < best!.vibrs * 1.1 + 0.0005 && r.score < selected.score) selected = r;
  return [selected, ...results];
}

export function findBestShaper(data: CalibrationData, scv: number, maxSmoothing: number | null, maxFreq: number | null, log: (msg: string) => void): [CalibrationResult, CalibrationResult[]] {
  let best: CalibrationResult | null = null;
  const all: CalibrationResult[] = [];
  for (const name of AUTOTUNE_SHAPERS) {
    const fit = fitShaper(name, data, scv, maxSmoothing, maxFreq);
    let shaper = fit[0]!;
    if (best === null || shaper.score * 1.2 < best.score || (shaper.score * 1.05 < best.score && shaper.smoothing * 1.1 < best.smoothing)) best = shaper;
    for (const s of fit.slice(1).reverse()) if (s.vibrs < best.vibrs && s.smoothing < best.smoothing) best = shaper = s;
    log(`Fitted shaper '${shaper.name}' frequency = ${shaper.freq.toFixed(1)} Hz (vibrations = ${(shaper.vibrs * 100).toFixed(1)}%, smoothing ~= ${shaper.smoothing.toFixed(3)})`);
    log(`To avoid too much smoothing with '${shaper.name}', suggested max_accel <= ${(Math.round(shaper.maxAccel / 100) * 100).toFixed(0)} mm/sec^2`);
    all.push(shaper);
  }
  if (best!.name === "zv") {
    const better = all.find((s) => s.name !== "zv" && s.vibrs * 1.1 < best!.vibrs);
    if (better) best = better;
  }
  return [best!, all];
}

const csvName = (n: string) => (n.includes(",") ? `"${n.replaceAll('"', '""')}"` : n.replaceAll('"', '""'));

/** Spectra (and shaper responses) as CSV. */
export function saveCalibrationData(path: string, data: CalibrationData, shapers: CalibrationResult[] | null, maxFreq: number | null): void {
  const top = maxFreq ?? MAX_FREQ;
  const sets = data.datasets();
  let bins: Float64Array;
  let columns: Float64Array[];
  let header: string;
  if (sets.length > 1) {
    if (shapers?.length) bins = shapers[0]!.freqBins;
    else {
      let lo = top;
      for (const d of sets) lo = Math.min(lo, d.freqBins[0]!);
      const b: number[] = [];
      for (let f = lo; f < top; f = lo + b.length * 0.2) b.push(f);
      bins = Float64Array.from(b);
    }
    columns = sets.map((d) => bins.map((f) => interp(f, d.freqBins, d.psdSum)));
    header = sets.map((d) => csvName(d.name ?? "")).join(",");
  } else {
    bins = data.freqBins;
    columns = [data.psdX, data.psdY, data.psdZ, data.psdSum];
    header = "psd_x,psd_y,psd_z,psd_xyz";
  }
  let out = `freq,${header}`;
  if (shapers?.length) out += `,shapers:${shapers.map((s) => `,${s.name}(${s.freq.toFixed(1)})`).join("")}`;
  out += "\n";
  for (let i = 0; i < bins.length && bins[i]! < top; i++) {
    out += bins[i]!.toFixed(1);
    for (const c of columns) out += `,${c[i]!.toExponential(3).replace(/e([+-])(\d)$/, "e$10$2")}`;
    if (shapers?.length) out += `,${shapers.map((s) => `,${s.vals[i]!.toFixed(3)}`).join("")}`;
    out += "\n";
  }
  try {
    writeFileSync(path, out);
  } catch (e) {
    throw new GCodeError(`Error writing to file '${path}': ${(e as Error).message}`);
  }
}
