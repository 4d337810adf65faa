// Iterative step-time solver (Klipper's itersolve): for each stepper, walks the trapq
// and finds the time at which the stepper's position crosses each half-step boundary,
// using the secant method with bisection fallback and the same tolerances (1e-9 mm,
// 1e-9 s, 100 µs seek reset) as Klipper, so step times agree to the tick.
//
// Kinematics whose position is linear in a segment's move distance (cartesian, corexy,
// corexz, generic cartesian, extruder without pressure advance) also report that line
// (linearBase/linearRate); within such a segment each step time is the root of a quadratic,
// solved in closed form instead of by search. The times agree with the search to within its
// 1e-9 s / 1e-9 mm tolerance, and the same float steps update commandedPos and decide
// commits, so step counts, directions and rollbacks are unchanged.
//
// API (stable): subclass StepperKinematics and implement calcPosition.
//   calcPosition(d, m, moveTime): stepper position (mm or rad) `moveTime` seconds into
//       segment m of the trapq data array d (index m; base offset m*STRIDE, see trapq.ts).
//   linearRate(d, b) / linearBase(d, b) (optional): position = base + rate * move distance
//       in the segment at base offset b; rate NaN (the default) = not linear there.
//   sk.setTrapQ(tq, stepDist)      attach a trapq (or null) and the stepper's step distance
//   sk.generateSteps(sc, flushTime) append step times up to flushTime to a StepCompress
//   sk.checkActive(flushTime)       print time of the first move that moves this stepper
//                                   before flushTime, or 0
//   sk.isActiveAxis("x"|"y"|"z"); sk.calcPositionFromCoord(x, y, z); sk.setPosition(x, y, z)
//   sk.commandedPos; sk.genStepsPreActive / genStepsPostActive (seconds of steps generated
//   before / after activity, for smoothing kinematics)

import { TrapQ, STRIDE, M_PRINT_TIME, M_MOVE_T, M_START_V, M_HALF_ACCEL, M_AXES_RX, M_AXES_RY, M_AXES_RZ, M_START_X, M_START_Y, M_START_Z } from "./trapq.ts";
import type { StepCompress } from "./stepcompress.ts";

export const AF_X = 1, AF_Y = 2, AF_Z = 4;
const SEEK_TIME_RESET = 0.000100;

export abstract class StepperKinematics {
  stepDist = 0;
  commandedPos = 0;
  lastFlushTime = 0;
  lastMoveTime = 0;
  tq: TrapQ | null = null;
  activeFlags = 0;
  genStepsPreActive = 0;
  genStepsPostActive = 0;
  /** Scratch segment for calcPositionFromCoord. */
  private readonly coordMove = new Float64Array(STRIDE);

  abstract calcPosition(d: Float64Array, m: number, moveTime: number): number;

  /** d(position)/d(move distance) in the segment at base offset b; NaN if not linear there. */
  linearRate(_d: Float64Array, _b: number): number { return NaN; }
  /** Position at move distance 0 in the segment at base offset b (when linearRate is not NaN). */
  linearBase(_d: Float64Array, _b: number): number { return 0.; }

  /** Hook run after each solved range (e.g. to fold commandedPos into a range). */
  postCallback(): void {}
  hasPostCallback(): boolean { return false; }

  setTrapQ(tq: TrapQ | null, stepDist: number): void {
    this.tq = tq;
    this.stepDist = stepDist;
  }

  calcPositionFromCoord(x: number, y: number, z: number): number {
    const d = this.coordMove;
    d.fill(0);
    d[M_START_X] = x; d[M_START_Y] = y; d[M_START_Z] = z;
    d[M_MOVE_T] = 1000.;
    return this.calcPosition(d, 0, 500.);
  }

  setPosition(x: number, y: number, z: number): void {
    this.commandedPos = this.calcPositionFromCoord(x, y, z);
  }

  isActiveAxis(axis: string): boolean {
    const i = "xyz".indexOf(axis);
    return axis.length === 1 && i >= 0 && (this.activeFlags & (AF_X << i)) !== 0;
  }

  private moveIsActive(d: Float64Array, m: number): boolean {
    const af = this.activeFlags, b = m * STRIDE;
    return ((af & AF_X) !== 0 && d[b + M_AXES_RX] !== 0.)
      || ((af & AF_Y) !== 0 && d[b + M_AXES_RY] !== 0.)
      || ((af & AF_Z) !== 0 && d[b + M_AXES_RZ] !== 0.);
  }

  /** Solve step times in [absStart, absEnd] of segment m. */
  private genStepsRange(sc: StepCompress, m: number, absStart: number, absEnd: number): void {
    const tq = this.tq!;
    const d = tq.d, b = m * STRIDE;
    const mPrintTime = d[b + M_PRINT_TIME]!, moveT = d[b + M_MOVE_T]!;
    const halfStep = .5 * this.stepDist;
    let start = absStart - mPrintTime, end = absEnd - mPrintTime;
    if (start < 0.) start = 0.;
    if (end > moveT) end = moveT;
    const rate = this.linearRate(d, b);
    if (rate === rate && this.genLinearSteps(sc, d, m, rate, start, end)) {
      if (this.hasPostCallback()) this.postCallback();
      return;
    }
    let ogTime = start, ogPos = this.commandedPos;
    let gTime = start, gPos = this.commandedPos;
    let sdir = sc.getStepDir();
    let isDirChange = false, haveBracket = false, checkOscillate = false;
    let target = this.commandedPos + (sdir ? halfStep : -halfStep);
    let lastTime = start, lowTime = start, highTime = start + SEEK_TIME_RESET;
    if (highTime > end) highTime = end;
    for (;;) {
      // Secant guess from the previous two guesses
      let guessDist = gPos - target;
      const ogDist = ogPos - target;
      let nextTime = (ogTime * guessDist - gTime * ogDist) / (guessDist - ogDist);
      if (!(nextTime > lowTime && nextTime < highTime)) { // or NaN
        if (haveBracket) {
          nextTime = (lowTime + highTime) * .5; // poor guess: bisect
          checkOscillate = false;
        } else if (gTime >= end) {
          break; // no more steps in this range
        } else {
          nextTime = highTime; // exponential search
          highTime = 2. * highTime - lastTime;
          if (highTime > end) highTime = end;
        }
      }
      ogTime = gTime; ogPos = gPos;
      gTime = nextTime;
      gPos = this.calcPosition(d, m, nextTime);
      guessDist = gPos - target;
      if (Math.abs(guessDist) > .000000001) {
        const relDist = sdir ? guessDist : -guessDist;
        if (relDist > 0.) {
          // Past the target: the step is bracketed
          if (haveBracket && ogTime <= lowTime) {
            if (checkOscillate) { ogTime = gTime; ogPos = gPos; } // force bisection
            checkOscillate = true;
          }
          highTime = gTime;
          haveBracket = true;
        } else if (relDist < -(halfStep + halfStep + .000000010)) {
          // Direction change
          sdir = sdir ? 0 : 1;
          target = sdir ? target + halfStep + halfStep : target - halfStep - halfStep;
          lowTime = lastTime;
          highTime = gTime;
          isDirChange = haveBracket = true;
          checkOscillate = false;
        } else {
          lowTime = gTime;
        }
        if (!haveBracket || highTime - lowTime > .000000001) {
          if (!isDirChange && relDist >= -halfStep)
            sc.commit(); // stepper fully reached the step position: no rollback
          continue;
        }
      }
      // Found the next step
      sc.append(sdir, mPrintTime, gTime);
      target = sdir ? target + halfStep + halfStep : target - halfStep - halfStep;
      let seekTimeDelta = 1.5 * (gTime - lastTime);
      if (seekTimeDelta < .000000001) seekTimeDelta = .000000001;
      if (isDirChange && seekTimeDelta > SEEK_TIME_RESET) seekTimeDelta = SEEK_TIME_RESET;
      lastTime = lowTime = gTime;
      highTime = gTime + seekTimeDelta;
      if (highTime > end) highTime = end;
      isDirChange = haveBracket = checkOscillate = false;
    }
    this.commandedPos = target - (sdir ? halfStep : -halfStep);
    if (this.hasPostCallback()) this.postCallback();
  }

  /**
   * Steps of a linear segment over [start, end] (move times) in closed form; false (nothing
   * done) if the stepper reverses inside the range, which the search handles.
   * Mirrors the search's decisions: a step is due when the position gets within 1e-9 of the
   * next half-step boundary, a reversal when it passes the opposite boundary by 1e-8, and the
   * pending step is committed when a position the search would have evaluated (the first
   * probe 100 µs in, and the range end) is at or past the current step's centre.
   */
  private genLinearSteps(sc: StepCompress, d: Float64Array, m: number, rate: number, start: number, end: number): boolean {
    const b = m * STRIDE;
    const v0 = d[b + M_START_V]!, ha = d[b + M_HALF_ACCEL]!;
    const vStart = v0 + 2. * ha * start, vEnd = v0 + 2. * ha * end;
    if ((vStart > 0. && vEnd < 0.) || (vStart < 0. && vEnd > 0.)) return false;
    if (!(end > start)) return true; // the search evaluates nothing either
    const distSign = vStart > 0. || vEnd > 0. ? 1. : vStart < 0. || vEnd < 0. ? -1. : 0.;
    const mPrintTime = d[b + M_PRINT_TIME]!, halfStep = .5 * this.stepDist;
    let sdir = sc.getStepDir();
    let target = this.commandedPos + (sdir ? halfStep : -halfStep);
    const endPos = this.calcPosition(d, m, end);
    // Moving away from sdir: the search's first probe may commit the pending step
    let relEnd = sdir ? endPos - target : target - endPos;
    if (relEnd < -halfStep) {
      let probe = start + SEEK_TIME_RESET;
      if (probe > end) probe = end;
      const p = this.calcPosition(d, m, probe) - target;
      if ((sdir ? p : -p) >= -halfStep) sc.commit();
      if (relEnd < -(halfStep + halfStep + .000000010)) {
        sdir = sdir ? 0 : 1;
        target = sdir ? target + halfStep + halfStep : target - halfStep - halfStep;
        relEnd = sdir ? endPos - target : target - endPos;
      }
    }
    if (relEnd >= -.000000001 && distSign !== 0. && rate !== 0.) {
      // Steps: solve ha*t^2 + v0*t = dist for each boundary's move distance (sign-normalised
      // so the distance grows; the root form avoids cancellation)
      const base = this.linearBase(d, b), invRate = distSign / rate;
      const v = v0 * distSign, a = ha * distSign, a4 = 4. * a, vv = v * v;
      const stepSign = sdir ? 1. : -1.;
      do {
        const dist = (target - base) * invRate;
        let disc = vv + a4 * dist;
        if (disc < 0.) disc = 0.;
        let t = (dist + dist) / (v + Math.sqrt(disc));
        if (!(t >= start)) t = start; // also 0/0 at a standstill start
        if (t > end) t = end;
        sc.append(sdir, mPrintTime, t);
        target = sdir ? target + halfStep + halfStep : target - halfStep - halfStep;
        relEnd = (endPos - target) * stepSign;
      } while (relEnd >= -.000000001);
    }
    if (relEnd >= -halfStep) sc.commit();
    this.commandedPos = target - (sdir ? halfStep : -halfStep);
    return true;
  }

  /** Generate step times for the trapq moves up to flushTime. */
  generateSteps(sc: StepCompress, flushTime: number): void {
    const lastFlushTime = this.lastFlushTime;
    this.lastFlushTime = flushTime;
    const tq = this.tq;
    if (!tq) return;
    const next = tq.next, prev = tq.prev;
    let d = tq.d;
    let m = tq.first();
    while (lastFlushTime >= d[m * STRIDE + M_PRINT_TIME]! + d[m * STRIDE + M_MOVE_T]!) m = tq.next[m]!;
    let forceStepsTime = this.lastMoveTime + this.genStepsPostActive;
    let skipCount = 0;
    for (;;) {
      d = tq.d;
      const moveStart = d[m * STRIDE + M_PRINT_TIME]!, moveEnd = moveStart + d[m * STRIDE + M_MOVE_T]!;
      if (this.moveIsActive(d, m)) {
        if (skipCount && this.genStepsPreActive) {
          // Generate the steps leading up to this stepper's activity
          let absStart = moveStart - this.genStepsPreActive;
          if (absStart < lastFlushTime) absStart = lastFlushTime;
          if (absStart < forceStepsTime) absStart = forceStepsTime;
          let pm = prev[m]!;
          while (--skipCount && d[pm * STRIDE + M_PRINT_TIME]! > absStart) pm = prev[pm]!;
          do {
            this.genStepsRange(sc, pm, absStart, flushTime);
            pm = next[pm]!;
          } while (pm !== m);
        }
        this.genStepsRange(sc, m, lastFlushTime, flushTime);
        if (moveEnd >= flushTime) { this.lastMoveTime = flushTime; return; }
        skipCount = 0;
        this.lastMoveTime = moveEnd;
        forceStepsTime = this.lastMoveTime + this.genStepsPostActive;
      } else {
        if (moveStart < forceStepsTime) {
          // Generate the steps just after this stepper's activity
          let absEnd = forceStepsTime;
          if (absEnd > flushTime) absEnd = flushTime;
          this.genStepsRange(sc, m, lastFlushTime, absEnd);
          skipCount = 1;
        } else {
          skipCount++;
        }
        if (flushTime + this.genStepsPreActive <= moveEnd) return;
      }
      m = next[m]!;
    }
  }

  /** Print time of the first move (not yet flushed) that moves this stepper, or 0. */
  checkActive(flushTime: number): number {
    const tq = this.tq;
    if (!tq) return 0.;
    tq.checkSentinels();
    const d = tq.d;
    let m = tq.first();
    while (this.lastFlushTime >= d[m * STRIDE + M_PRINT_TIME]! + d[m * STRIDE + M_MOVE_T]!) m = tq.next[m]!;
    for (;;) {
      if (this.moveIsActive(d, m)) return d[m * STRIDE + M_PRINT_TIME]!;
      if (flushTime <= d[m * STRIDE + M_PRINT_TIME]! + d[m * STRIDE + M_MOVE_T]!) return 0.;
      m = tq.next[m]!;
    }
  }
}
