// Input shaper definitions (pulse amplitudes A and times T) as Klipper defines them:
// zv, mzv (parametrisable "mzv(n, t)" / "mzv(tau=...)"), zvd, ei, 2hump_ei, 3hump_ei.
//
// API:
//   SHAPERS: ShaperCfg[] (name, minFreq, maxDampingRatio)
//   getShaperCfg(spec)                      -> ShaperCfg | null ("mzv", "mzv(4, 0.8)")
//   initShaper(spec, shaperFreq, damping)   -> { A, T }  (throws ShaperError on bad input)
//   DEFAULT_DAMPING_RATIO, SHAPER_VIBRATION_REDUCTION

import { dot, pseudoInverse } from "./linalg.ts";

export class ShaperError extends Error {}

export const SHAPER_VIBRATION_REDUCTION = 20.;
export const DEFAULT_DAMPING_RATIO = 0.1;

export interface Shaper { A: number[]; T: number[]; }
type InitFunc = (freq: number, damping: number, args: number[], kwargs: Record<string, number>) => Shaper;
export interface ShaperCfg { name: string; minFreq: number; maxDampingRatio: number; init: InitFunc; }

function noExtraArgs(name: string, args: number[], kwargs: Record<string, number>): void {
  if (args.length || Object.keys(kwargs).length)
    throw new ShaperError(`Shaper ${name} does not take parameters`);
}

function zv(freq: number, dr: number): Shaper {
  const df = Math.sqrt(1. - dr ** 2);
  const K = Math.exp(-dr * Math.PI / df);
  const td = 1. / (freq * df);
  return { A: [1., K], T: [0., .5 * td] };
}

function zvd(freq: number, dr: number): Shaper {
  const df = Math.sqrt(1. - dr ** 2);
  const K = Math.exp(-dr * Math.PI / df);
  const td = 1. / (freq * df);
  return { A: [1., 2. * K, K ** 2], T: [0., .5 * td, td] };
}

function mzvCoeffs(n: number, t: number): Shaper {
  if (n < 3) throw new ShaperError(`Too small n=${n}, must be at least 3`);
  if (n <= 2 * t + 1 + 1e-7)
    throw new ShaperError(`Too large t=${t.toFixed(6)} for n=${n}, must be less than ${(0.5 * (n - 1)).toFixed(6)}`);
  const tau = t * (n - 2.) / (n - 2. * t - 1.);
  const T = Array.from({ length: n }, (_, i) => i * t / (n - 1.));
  const M: number[][] = [new Array(n).fill(1.)];
  const F: number[] = [1.];
  for (let i = 0; i < n - 1; i++) {
    const W = T.map((tj) => 2. * Math.PI * (1. + i / tau) * tj);
    M.push(W.map(Math.cos)); M.push(W.map(Math.sin));
    F.push(0., 0.);
  }
  const inv = pseudoInverse(M);
  if (!inv) throw new ShaperError(`Ill-formed shaper with n=${n}, t=${t.toFixed(6)}`);
  const A = inv.map((row) => dot(F, row));
  if (A.some((a) => a < -0.00001)) throw new ShaperError(`Negative-valued shaper with n=${n}, t=${t.toFixed(6)}`);
  return { A, T };
}

function mzv(freq: number, dr: number, args: number[], kwargs: Record<string, number>): Shaper {
  const known = ["n", "t", "tau"];
  for (const k of Object.keys(kwargs))
    if (!known.includes(k)) throw new ShaperError(`Unknown mzv shaper parameter '${k}'`);
  if (args.length > 3) throw new ShaperError("mzv takes at most 3 parameters (n, t, tau)");
  const n = kwargs.n ?? args[0] ?? 3;
  let t = kwargs.t ?? args[1] ?? 0.0;
  const tau = kwargs.tau ?? args[2] ?? 0.0;
  if (!tau && !t) t = 0.75;
  else if (tau) t = tau * (n - 1.) / (n + 2. * tau - 2.);
  const { A, T } = mzvCoeffs(n, t);
  const df = Math.sqrt(1. - dr ** 2);
  const K = Math.exp(-2. * t * dr * Math.PI / ((n - 1.) * df));
  const td = 1. / (freq * df);
  let Kp = K;
  for (let i = 1; i < n; i++) { T[i] = T[i]! * td; A[i] = A[i]! * Kp; Kp *= K; }
  return { A, T };
}

function ei(freq: number, dr: number, args: number[], kwargs: Record<string, number>): Shaper {
  for (const k of Object.keys(kwargs))
    if (k !== "v_tol") throw new ShaperError(`Unknown ei shaper parameter '${k}'`);
  if (args.length > 1) throw new ShaperError("ei takes at most 1 parameter (v_tol)");
  const vTol = kwargs.v_tol ?? args[0] ?? 1. / SHAPER_VIBRATION_REDUCTION;
  const df = Math.sqrt(1. - dr ** 2);
  const td = 1. / (freq * df);
  const a1 = (0.24968 + 0.24961 * vTol) + ((0.80008 + 1.23328 * vTol) + (0.49599 + 3.17316 * vTol) * dr) * dr;
  const a3 = (0.25149 + 0.21474 * vTol) + ((-0.83249 + 1.41498 * vTol) + (0.85181 - 4.90094 * vTol) * dr) * dr;
  const a2 = 1. - a1 - a3;
  const t2 = 0.4999 + (((0.46159 + 8.57843 * vTol) * vTol)
    + (((4.26169 - 108.644 * vTol) * vTol) + ((1.75601 + 336.989 * vTol) * vTol) * dr) * dr) * dr;
  return { A: [a1, a2, a3], T: [0., t2 * td, td] };
}

/** Pulses from polynomial expansions (in damping ratio) of times and amplitudes. */
function fromExpansion(freq: number, dr: number, t: number[][], a: number[][]): Shaper {
  const tau = 1. / freq, A: number[] = [], T: number[] = [];
  const k = a[0]!.length;
  for (let i = 0; i < a.length; i++) {
    let u = t[i]![k - 1]!, v = a[i]![k - 1]!;
    for (let j = 0; j < k - 1; j++) { u = u * dr + t[i]![k - j - 2]!; v = v * dr + a[i]![k - j - 2]!; }
    T.push(u * tau); A.push(v);
  }
  return { A, T };
}

const HUMP2_T = [[0., 0., 0., 0.], [0.49890, 0.16270, -0.54262, 6.16180],
  [0.99748, 0.18382, -1.58270, 8.17120], [1.49920, -0.09297, -0.28338, 1.85710]];
const HUMP2_A = [[0.16054, 0.76699, 2.26560, -1.22750], [0.33911, 0.45081, -2.58080, 1.73650],
  [0.34089, -0.61533, -0.68765, 0.42261], [0.15997, -0.60246, 1.00280, -0.93145]];
const HUMP3_T = [[0., 0., 0., 0.], [0.49974, 0.23834, 0.44559, 12.4720],
  [0.99849, 0.29808, -2.36460, 23.3990], [1.49870, 0.10306, -2.01390, 17.0320],
  [1.99960, -0.28231, 0.61536, 5.40450]];
const HUMP3_A = [[0.11275, 0.76632, 3.29160, -1.44380], [0.23698, 0.61164, -2.57850, 4.85220],
  [0.30008, -0.19062, -2.14560, 0.13744], [0.23775, -0.73297, 0.46885, -2.08650],
  [0.11244, -0.45439, 0.96382, -1.46000]];

function simple(name: string, f: (freq: number, dr: number) => Shaper): InitFunc {
  return (freq, dr, args, kwargs) => { noExtraArgs(name, args, kwargs); return f(freq, dr); };
}

// minFreq of each shaper gives a projected max_accel of about 1500
export const SHAPERS: ShaperCfg[] = [
  { name: "zv", init: simple("zv", zv), minFreq: 21., maxDampingRatio: 0.99 },
  { name: "mzv", init: mzv, minFreq: 23., maxDampingRatio: 0.99 },
  { name: "zvd", init: simple("zvd", zvd), minFreq: 29., maxDampingRatio: 0.99 },
  { name: "ei", init: ei, minFreq: 29., maxDampingRatio: 0.4 },
  { name: "2hump_ei", init: simple("2hump_ei", (f, d) => fromExpansion(f, d, HUMP2_T, HUMP2_A)), minFreq: 39., maxDampingRatio: 0.3 },
  { name: "3hump_ei", init: simple("3hump_ei", (f, d) => fromExpansion(f, d, HUMP3_T, HUMP3_A)), minFreq: 48., maxDampingRatio: 0.2 },
];

const SPEC_RE = /^(\w+)\s*\((.*)\)$/;

export function getShaperCfg(spec: string): ShaperCfg | null {
  const m = SPEC_RE.exec(spec);
  const name = m ? m[1]! : spec;
  return SHAPERS.find((s) => s.name === name) ?? null;
}

function parseNumber(s: string): number {
  return s.includes(".") ? parseFloat(s) : parseInt(s, 10);
}

/** Pulses for a shaper spec such as "mzv", "ei" or "mzv(n=4, t=0.8)"; null if unknown. */
export function initShaper(spec: string, shaperFreq: number, dampingRatio: number): Shaper | null {
  const m = SPEC_RE.exec(spec);
  let name = spec;
  const args: number[] = [];
  const kwargs: Record<string, number> = {};
  if (m) {
    name = m[1]!;
    for (const p of m[2]!.matchAll(/(?:(\w+)\s*=\s*)?\s*([\d.]+)/g)) {
      if (p[1]) kwargs[p[1]] = parseNumber(p[2]!);
      else args.push(parseNumber(p[2]!));
    }
    if (args.length && Object.keys(kwargs).length)
      throw new ShaperError("Mixing named and non-named shaper parameters is not supported");
  }
  const cfg = SHAPERS.find((s) => s.name === name);
  return cfg ? cfg.init(shaperFreq, dampingRatio, args, kwargs) : null;
}
