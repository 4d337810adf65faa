// Input shaping as a stepper-kinematics wrapper (Klipper's kin_shaper): the wrapped
// kinematics sees, per shaped axis, the convolution of the commanded axis position with
// the shaper's pulses (centred so that constant velocity passes unchanged).
//
// API:
//   const is = new InputShaperKinematics(origSk)   throws if origSk moves no x/y/z axis
//   is.setShaperParams("x"|"y"|"z", A, T)          A/T from shaper-defs (empty = off);
//       ignored for axes the wrapped stepper does not use; throws on bad pulses
//   is.updateFromOrig()                           re-read the wrapped kinematics' axes
//   is.orig                                       the wrapped kinematics

import { StepperKinematics, AF_X, AF_Y, AF_Z } from "../itersolve.ts";
import { STRIDE, M_MOVE_T, M_START_X, M_AXES_RX, moveDistance } from "../trapq.ts";
import { axisIndex } from "./cartesian.ts";

const MAX_PULSES = 10;
const DUMMY_T = 500.0;

/** Pulses of one axis, reversed and shifted so the weighted mean time is zero. */
class ShaperPulses {
  n = 0;
  pInd = 0;
  readonly t = new Float64Array(MAX_PULSES);
  readonly a = new Float64Array(MAX_PULSES);

  init(A: readonly number[], T: readonly number[]): void {
    const n = A.length;
    if (n !== T.length) { this.n = 0; throw new Error(`shaper has ${n} amplitudes but ${T.length} times`); }
    if (n > MAX_PULSES) { this.n = 0; throw new Error(`shaper has ${n} pulses, at most ${MAX_PULSES} supported`); }
    for (let i = 1; i < n; i++)
      if (T[i - 1]! >= T[i]!) throw new Error("shaper pulse times must be strictly increasing");
    let sumA = 0.;
    for (let i = 0; i < n; i++) sumA += A[i]!;
    const invA = 1. / sumA;
    for (let i = 0; i < n; i++) {
      this.a[n - i - 1] = A[i]! * invA;
      this.t[n - i - 1] = -T[i]!;
    }
    this.n = n;
    let ts = 0.;
    for (let i = 0; i < n; i++) ts += this.a[i]! * this.t[i]!;
    for (let i = 0; i < n; i++) this.t[i] = this.t[i]! - ts;
    let i = 0;
    while (i < n && !(this.t[i]! > 0)) i++;
    this.pInd = i;
  }
}

export class InputShaperKinematics extends StepperKinematics {
  readonly orig: StepperKinematics;
  private readonly sp = [new ShaperPulses(), new ShaperPulses(), new ShaperPulses()];
  /** The shaped position handed to the wrapped kinematics (a standstill segment). */
  private readonly m = new Float64Array(STRIDE);
  private mode = 3; // 0..2: single axis; 3: all axes

  constructor(orig: StepperKinematics) {
    super();
    if (!(orig.activeFlags & (AF_X | AF_Y | AF_Z)))
      throw new Error("input shaper needs a stepper that moves an x, y or z axis");
    this.orig = orig;
    this.m[M_MOVE_T] = 2. * DUMMY_T;
    this.updateFromOrig();
    this.commandedPos = orig.commandedPos;
    this.lastFlushTime = orig.lastFlushTime;
    this.lastMoveTime = orig.lastMoveTime;
  }

  updateFromOrig(): void {
    const flags = this.orig.activeFlags & (AF_X | AF_Y | AF_Z);
    this.mode = flags === AF_X ? 0 : flags === AF_Y ? 1 : flags === AF_Z ? 2 : 3;
    this.activeFlags = this.orig.activeFlags;
    this.noteGenerationTime();
  }

  setShaperParams(axis: string, A: readonly number[], T: readonly number[]): void {
    const i = axisIndex(axis);
    if (!(this.orig.activeFlags & (AF_X << i))) return;
    try {
      this.sp[i]!.init(A, T);
    } finally {
      this.noteGenerationTime();
    }
  }

  private noteGenerationTime(): void {
    let pre = 0., post = 0.;
    for (let i = 0; i < 3; i++) {
      const sp = this.sp[i]!;
      if (!(this.activeFlags & (AF_X << i)) || !sp.n) continue;
      const p = sp.t[sp.n - 1]!, q = -sp.t[0]!;
      if (p > pre) pre = p;
      if (q > post) post = q;
    }
    this.genStepsPreActive = pre;
    this.genStepsPostActive = post;
  }

  private axisPos(d: Float64Array, m: number, axis: number, t: number): number {
    const b = m * STRIDE;
    return d[b + M_START_X + axis]! + d[b + M_AXES_RX + axis]! * moveDistance(d, m, t);
  }

  /** Convolution of the axis position with the shaper pulses around moveTime. */
  private shapedPos(d: Float64Array, m: number, axis: number, moveTime: number, sp: ShaperPulses): number {
    const tq = this.tq!, prevs = tq.prev, nexts = tq.next, pt = sp.t, pa = sp.a;
    let res = 0.;
    let p = m, t = moveTime;
    for (let i = sp.pInd - 1; i >= 0; --i) {
      t += pt[i]!;
      while (t < 0.) { p = prevs[p]!; t += d[p * STRIDE + M_MOVE_T]!; }
      res += pa[i]! * this.axisPos(d, p, axis, t);
      t -= pt[i]!;
    }
    t = moveTime;
    for (let i = sp.pInd; i < sp.n; ++i) {
      t += pt[i]!;
      while (t > d[m * STRIDE + M_MOVE_T]!) { t -= d[m * STRIDE + M_MOVE_T]!; m = nexts[m]!; }
      res += pa[i]! * this.axisPos(d, m, axis, t);
      t -= pt[i]!;
    }
    return res;
  }

  override calcPosition(d: Float64Array, m: number, t: number): number {
    const sm = this.m, mode = this.mode;
    if (mode < 3) {
      const sp = this.sp[mode]!;
      if (!sp.n) return this.orig.calcPosition(d, m, t);
      sm[M_START_X + mode] = this.shapedPos(d, m, mode, t, sp);
      return this.orig.calcPosition(sm, 0, DUMMY_T);
    }
    const [sx, sy, sz] = this.sp as [ShaperPulses, ShaperPulses, ShaperPulses];
    if (!sx.n && !sy.n && !sz.n) return this.orig.calcPosition(d, m, t);
    for (let i = 0; i < 3; i++) {
      const sp = this.sp[i]!;
      sm[M_START_X + i] = sp.n ? this.shapedPos(d, m, i, t, sp) : this.axisPos(d, m, i, t);
    }
    return this.orig.calcPosition(sm, 0, DUMMY_T);
  }

  override hasPostCallback(): boolean { return this.orig.hasPostCallback(); }
  override postCallback(): void {
    this.orig.commandedPos = this.commandedPos;
    this.orig.postCallback();
    this.commandedPos = this.orig.commandedPos;
  }
}
