// Extruder stepper kinematics with smoothed pressure advance (Klipper's kin_extruder).
//
// The extruder trapq carries the filament position in x (start x = E position, axes_r x
// = 1, velocities and accel signed) and "may use pressure advance" in axes_r y (non-zero
// for extruding moves).
// Without smoothing the stepper follows x directly. With pressure advance PA and
// smooth time T the stepper follows the triangular-weighted average over [t-T/2, t+T/2]
// of  x(u) + PA * v(u)  (v = filament velocity; PA applies only where axes_r y != 0),
// integrated in closed form across neighbouring segments.
//
// API: new ExtruderStepperKinematics(); sk.setPressureAdvance(printTime, pa, smoothTime)
// (takes effect for moves starting at or after printTime; smoothTime 0 disables smoothing
// and pressure advance). genStepsPreActive/PostActive = smoothTime / 2.

import { StepperKinematics, AF_X } from "../itersolve.ts";
import { STRIDE, M_PRINT_TIME, M_MOVE_T, M_START_V, M_HALF_ACCEL, M_START_X, M_AXES_RY, moveDistance } from "../trapq.ts";

/** Integral of base + t*(startV + t*halfAccel) over [start, end]. */
function integrate(base: number, startV: number, halfAccel: number, start: number, end: number): number {
  const halfV = .5 * startV, sixthA = (1. / 3.) * halfAccel;
  const si = start * (base + start * (halfV + start * sixthA));
  const ei = end * (base + end * (halfV + end * sixthA));
  return ei - si;
}

/** Integral of t * (base + t*(startV + t*halfAccel)) over [start, end]. */
function integrateTime(base: number, startV: number, halfAccel: number, start: number, end: number): number {
  const halfB = .5 * base, thirdV = (1. / 3.) * startV, eighthA = .25 * halfAccel;
  const si = start * start * (halfB + start * (thirdV + start * eighthA));
  const ei = end * end * (halfB + end * (thirdV + end * eighthA));
  return ei - si;
}

export class ExtruderStepperKinematics extends StepperKinematics {
  private halfSmoothTime = 0;
  private invHalfSmoothTime2 = 0;
  // Pressure advance history, oldest first; entry 0 is the initial value (0 from time 0).
  private paValues: number[] = [0];
  private paTimes: number[] = [0];

  constructor() {
    super();
    this.activeFlags = AF_X;
  }

  private pressureAdvanceAt(printTime: number): number {
    let i = this.paTimes.length - 1;
    while (this.paTimes[i]! > printTime && i > 0) i--;
    return this.paValues[i]!;
  }

  /** Weighted integral of the pressure-advanced position over part of segment m. */
  private moveIntegrate(d: Float64Array, m: number, base: number, start: number, end: number, timeOffset: number): number {
    const b = m * STRIDE;
    if (start < 0.) start = 0.;
    if (end > d[b + M_MOVE_T]!) end = d[b + M_MOVE_T]!;
    const pa = d[b + M_AXES_RY] !== 0. ? this.pressureAdvanceAt(d[b + M_PRINT_TIME]!) : 0.;
    const sv0 = d[b + M_START_V]!, ha = d[b + M_HALF_ACCEL]!;
    base += pa * sv0;
    const startV = sv0 + pa * 2. * ha;
    const iext = integrate(base, startV, ha, start, end);
    const wgtExt = integrateTime(base, startV, ha, start, end);
    return wgtExt - timeOffset * iext;
  }

  private rangeIntegrate(d: Float64Array, m: number, moveTime: number, hst: number): number {
    const tq = this.tq!;
    let res = 0., start = moveTime - hst, end = moveTime + hst;
    const startBase = d[m * STRIDE + M_START_X]!;
    res += this.moveIntegrate(d, m, 0., start, moveTime, start);
    res -= this.moveIntegrate(d, m, 0., moveTime, end, end);
    let prev = m;
    while (start < 0.) {
      prev = tq.prev[prev]!;
      start += d[prev * STRIDE + M_MOVE_T]!;
      const base = d[prev * STRIDE + M_START_X]! - startBase;
      res += this.moveIntegrate(d, prev, base, start, d[prev * STRIDE + M_MOVE_T]!, start);
    }
    while (end > d[m * STRIDE + M_MOVE_T]!) {
      end -= d[m * STRIDE + M_MOVE_T]!;
      m = tq.next[m]!;
      const base = d[m * STRIDE + M_START_X]! - startBase;
      res -= this.moveIntegrate(d, m, base, 0., end, end);
    }
    return res;
  }

  override calcPosition(d: Float64Array, m: number, t: number): number {
    const b = m * STRIDE, hst = this.halfSmoothTime;
    if (!hst) return d[b + M_START_X]! + moveDistance(d, m, t);
    const area = this.rangeIntegrate(d, m, t, hst);
    return d[b + M_START_X]! + area * this.invHalfSmoothTime2;
  }

  setPressureAdvance(printTime: number, pressureAdvance: number, smoothTime: number): void {
    const hst = smoothTime * .5, oldHst = this.halfSmoothTime;
    this.halfSmoothTime = hst;
    this.genStepsPreActive = this.genStepsPostActive = hst;
    // Drop settings no longer reachable by step generation
    const cleanupTime = this.lastFlushTime - (oldHst > hst ? oldHst : hst);
    let drop = 0;
    while (drop + 1 < this.paTimes.length && this.paTimes[drop + 1]! < cleanupTime) drop++;
    if (drop) { this.paTimes.splice(0, drop); this.paValues.splice(0, drop); }
    if (!hst) return;
    this.invHalfSmoothTime2 = 1. / (hst * hst);
    if (this.paValues[this.paValues.length - 1] === pressureAdvance) return;
    this.paValues.push(pressureAdvance);
    this.paTimes.push(printTime);
  }
}
