// Iterative step-time solver (Klipper's itersolve): for each stepper, walks the trapq
// and finds the time at which the stepper's position crosses each half-step boundary,
// using the secant method with bisection fallback and the same tolerances (1e-9 mm,
// 1e-9 s, 100 µs seek reset) as Klipper, so step times agree to the tick.
//
// API (stable): subclass StepperKinematics and implement calcPosition.
//   calcPosition(d, m, moveTime): stepper position (mm or rad) `moveTime` seconds into
//       segment m of the trapq data array d (index m; base offset m*STRIDE, see trapq.ts).
//   sk.setTrapQ(tq, stepDist)      attach a trapq (or null) and the stepper's step distance
//   sk.generateSteps(sc, flushTime) append step times up to flushTime to a StepCompress
//   sk.checkActive(flushTime)       print time of the first move that moves this stepper
//                                   before flushTime, or 0
//   sk.isActiveAxis("x"|"y"|"z"); sk.calcPositionFromCoord(x, y, z); sk.setPosition(x, y, z)
//   sk.commandedPos; sk.genStepsPreActive / genStepsPostActive (seconds of steps generated
//   before / after activity, for smoothing kinematics)

import { TrapQ, STRIDE, M_PRINT_TIME, M_MOVE_T, M_AXES_RX, M_AXES_RY, M_AXES_RZ, M_START_X, M_START_Y, M_START_Z } from "./trapq.ts";
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
