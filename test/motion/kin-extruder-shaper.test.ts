// Smoothed pressure advance against a numerically integrated reference, and input shaping
// (pulse definitions, constant-velocity identity, settling at the end of a move).
import { describe, expect, test } from "bun:test";
import { ExtruderStepperKinematics } from "../../src/motion/steps/stepper-kinematics/extruder.ts";
import { InputShaperKinematics } from "../../src/motion/steps/stepper-kinematics/shaper.ts";
import { CartesianStepperKinematics } from "../../src/motion/steps/stepper-kinematics/cartesian.ts";
import { TrapQ, TAIL } from "../../src/motion/steps/trapq.ts";
import { initShaper, getShaperCfg, SHAPERS, ShaperError } from "../../src/motion/steps/shaper-defs.ts";
import { Rig } from "./helpers.ts";
import { seededRandom } from "../../scripts/lib/random.ts";

interface Seg { t0: number; dur: number; x0: number; v0: number; a: number; pa: boolean; }

interface ExtMove { t0: number; ta: number; tc: number; x0: number; dir: number; v: number; a: number; pa: boolean; }

/** Random extrusion moves (retractions don't use PA) from and to standstill, with gaps. */
function extruderMoves(seed: number): { moves: ExtMove[]; segs: Seg[] } {
  const r = seededRandom(seed), moves: ExtMove[] = [], segs: Seg[] = [];
  let t = 1.0, x = 0;
  for (let i = 0; i < 40; i++) {
    const dir = r() < 0.8 ? 1 : -1, a = 200 + r() * 3000, v = 1 + r() * 30, tc = r() * 0.2;
    const ta = v / a, pa = dir > 0;
    moves.push({ t0: t, ta, tc, x0: x, dir, v, a, pa });
    for (const [dur, v0, acc] of [[ta, 0, a], [tc, v, 0], [ta, v, -a]] as const) {
      if (!dur) continue;
      segs.push({ t0: t, dur, x0: x, v0: dir * v0, a: dir * acc, pa });
      x += dir * (v0 * dur + 0.5 * acc * dur * dur);
      t += dur;
    }
    t += r() < 0.3 ? r() * 0.1 : 0;
  }
  return { moves, segs };
}

/** Nominal position and velocity of the segment list at time t. */
function nominal(segs: Seg[], t: number): { x: number; v: number; pa: boolean } {
  let last = { x: 0, v: 0, pa: false };
  for (const s of segs) {
    if (t < s.t0) return last;
    const tt = Math.min(t - s.t0, s.dur);
    const at = { x: s.x0 + s.v0 * tt + 0.5 * s.a * tt * tt, v: s.v0 + s.a * tt, pa: s.pa };
    if (t <= s.t0 + s.dur) return at;
    last = { x: at.x, v: 0, pa: false };
  }
  return last;
}

describe("extruder pressure advance", () => {
  test("matches a numerically integrated triangular-weighted average of x + pa*v", () => {
    const { moves, segs } = extruderMoves(99);
    const tq = new TrapQ();
    // the extruder trapq (as the extruder queues it): x = E position with axes_r.x = 1 and
    // signed velocity/accel; axes_r.y = 1 when the move may use pressure advance
    for (const m of moves) tq.append(m.t0, m.ta, m.tc, m.ta, m.x0, 0, 0, 1, m.pa ? 1 : 0, 0, 0, m.dir * m.v, m.dir * m.a);
    tq.checkSentinels();
    const pa = 0.08, smooth = 0.04, hst = smooth / 2;
    const sk = new ExtruderStepperKinematics();
    sk.setTrapQ(tq, 0.01);
    sk.setPressureAdvance(0, pa, smooth);
    expect(sk.genStepsPreActive).toBe(hst);
    const r = seededRandom(5);
    const end = segs[segs.length - 1]!.t0 + segs[segs.length - 1]!.dur;
    for (let i = 0; i < 300; i++) {
      const t = 1.05 + r() * (end - 1.1);
      // locate the trapq segment holding t
      let m = tq.first();
      while (m !== TAIL && tq.d[m * 10]! + tq.d[m * 10 + 1]! < t) m = tq.next[m]!;
      const got = sk.calcPosition(tq.d, m, t - tq.d[m * 10]!);
      // Simpson integration of (x + pa*v) weighted by (hst - |u - t|) / hst^2
      const N = 2000;
      let acc = 0;
      for (let k = 0; k <= N; k++) {
        const u = t - hst + (2 * hst * k) / N;
        const n = nominal(segs, u);
        const f = (n.x + (n.pa ? pa * n.v : 0)) * (hst - Math.abs(u - t)) / (hst * hst);
        acc += f * (k === 0 || k === N ? 1 : k % 2 ? 4 : 2);
      }
      const want = acc * (2 * hst / N) / 3;
      expect(Math.abs(got - want)).toBeLessThan(2e-6);
    }
  });

  test("without smoothing the stepper follows the nominal position", () => {
    const tq = new TrapQ();
    tq.append(1.0, 0.1, 0, 0, 2, 0, 0, 1, 1, 0, 0, 10, 100);
    const sk = new ExtruderStepperKinematics();
    sk.setTrapQ(tq, 0.01);
    sk.setPressureAdvance(0, 0.1, 0);
    let m = tq.first();
    while (tq.d[m * 10] !== 1.0) m = tq.next[m]!;
    expect(sk.calcPosition(tq.d, m, 0.05)).toBeCloseTo(2 + 0.5 * 100 * 0.05 ** 2, 12);
  });

  test("extrusion steps: net count equals the commanded filament", () => {
    const sk = new ExtruderStepperKinematics();
    const rig = new Rig(sk, 33.5 / 3200);
    sk.setPressureAdvance(0, 0.05, 0.04);
    rig.tq.append(1.0, 0.02, 0.5, 0.02, 0, 0, 0, 1, 1, 0, 0, 20, 1000);
    const out = rig.run(3.0);
    const net = out.dirs.reduce((s, d) => s + (d ? 1 : -1), 0);
    expect(net).toBe(Math.round((0.4 + 10) / (33.5 / 3200)));
  });
});

describe("shaper definitions", () => {
  test("zv has the textbook amplitude ratio and half-period delay", () => {
    const f = 40, z = 0.1;
    const { A, T } = initShaper("zv", f, z)!;
    const df = Math.sqrt(1 - z * z);
    expect(A[1]! / A[0]!).toBeCloseTo(Math.exp(-z * Math.PI / df), 12);
    expect(T[1]).toBeCloseTo(0.5 / (f * df), 12);
  });

  test("every shaper has increasing times and positive amplitudes; mzv is 3 pulses over 0.75 period", () => {
    for (const cfg of SHAPERS) {
      const { A, T } = initShaper(cfg.name, 50, 0.1)!;
      expect(A.length).toBe(T.length);
      for (let i = 1; i < T.length; i++) expect(T[i]!).toBeGreaterThan(T[i - 1]!);
      expect(A.every((a) => a > 0)).toBe(true);
    }
    const mzv = initShaper("mzv", 50, 0.1)!;
    expect(mzv.A.length).toBe(3);
    expect(mzv.T[2]).toBeCloseTo(0.75 / (50 * Math.sqrt(1 - 0.01)), 12);
    // undamped mzv cancels its frequency: sum A e^{i w t} = 0
    const u = initShaper("mzv", 50, 0)!;
    const w = 2 * Math.PI * 50;
    const re = u.A.reduce((s, a, i) => s + a * Math.cos(w * u.T[i]!), 0);
    const im = u.A.reduce((s, a, i) => s + a * Math.sin(w * u.T[i]!), 0);
    expect(Math.hypot(re, im)).toBeLessThan(1e-9);
  });

  test("parameterised specs and errors", () => {
    expect(getShaperCfg("mzv(n=4, t=1.0)")?.name).toBe("mzv");
    expect(initShaper("mzv(4, 1.0)", 50, 0.1)!.A.length).toBe(4);
    expect(initShaper("unknown", 50, 0.1)).toBeNull();
    expect(() => initShaper("mzv(3, 1.5)", 50, 0.1)).toThrow(ShaperError);
    expect(() => initShaper("mzv(n=4, 1.0)", 50, 0.1)).toThrow("Mixing named and non-named");
  });
});

describe("input shaper kinematics", () => {
  function shapedRig(type: string) {
    const sk = new InputShaperKinematics(new CartesianStepperKinematics("x"));
    const { A, T } = initShaper(type, 40, 0.1)!;
    sk.setShaperParams("x", A, T);
    sk.setShaperParams("y", A, T); // not an axis of this stepper: ignored
    return { sk, T };
  }

  test("constant velocity passes unchanged, and the stepper settles at the move end", () => {
    const { sk, T } = shapedRig("ei");
    const tq = new TrapQ();
    sk.setTrapQ(tq, 0.0125);
    // accel 0.1 s, cruise 1 s at 100 mm/s, decel 0.1 s
    tq.append(1.0, 0.1, 1.0, 0.1, 0, 0, 0, 1, 0, 0, 0, 100, 1000);
    tq.checkSentinels();
    let cruise = tq.first();
    while (tq.d[cruise * 10 + 3] !== 0 || tq.d[cruise * 10 + 2] !== 100) cruise = tq.next[cruise]!;
    expect(sk.calcPosition(tq.d, cruise, 0.5)).toBeCloseTo(5 + 50, 9);
    expect(sk.calcPosition(tq.d, TAIL, 1.0)).toBeCloseTo(110, 9);
    expect(sk.genStepsPreActive).toBeGreaterThan(0);
    expect(sk.genStepsPreActive + sk.genStepsPostActive).toBeCloseTo(T[T.length - 1]!, 12);
  });

  test("shaped steps: same net count, spread over the shaper duration", () => {
    const { sk, T } = shapedRig("mzv");
    const rig = new Rig(sk, 0.0125);
    rig.tq.append(1.0, 0.05, 0.2, 0.05, 0, 0, 0, 1, 0, 0, 0, 50, 1000);
    const out = rig.run(3.0);
    const net = out.dirs.reduce((s, d) => s + (d ? 1 : -1), 0);
    expect(net).toBe(Math.round(12.5 / 0.0125));
    const last = out.clocks[out.clocks.length - 1]! / 16e6;
    expect(last).toBeGreaterThan(1.3);
    expect(last).toBeLessThan(1.3 + T[T.length - 1]!);
  });

  test("bad pulses are refused", () => {
    const sk = new InputShaperKinematics(new CartesianStepperKinematics("x"));
    expect(() => sk.setShaperParams("x", [1, 1], [0.01, 0.0])).toThrow("strictly increasing");
    expect(() => sk.setShaperParams("q", [1], [0])).toThrow("unknown axis");
  });
});
