// Move planning: one Move per requested straight-line move, and the look-ahead
// queue that picks junction speeds across queued moves so that the toolhead
// only slows down where it must (same planner as Klipper's toolhead.py:
// junction deviation, "approximated centripetal velocity", and the
// minimum_cruise_ratio pseudo-acceleration that keeps short zig-zags from
// reaching full speed).
//
// Naming: _d distance (mm), _v velocity (mm/s), _v2 velocity squared,
// _t time (s), _r ratio.

import { GCodeError } from "../core/gcode/errors.ts";

/** An axis beyond X/Y/Z (extruder, manual stepper as a g-code axis). */
export interface ExtraAxis {
  /** Name reported in toolhead status ("extruder", "" for none). */
  getName(): string;
  /** G-code letter of the axis ("E"), or null if not a g-code axis. */
  getAxisGcodeId(): string | null;
  /** Validate the move and apply axis speed limits (throws a command error). */
  checkMove(move: Move, axisIndex: number): void;
  /** Maximum junction speed squared contributed by this axis. */
  calcJunction(prevMove: Move, move: Move, axisIndex: number): number;
  /** Queue the axis motion of a planned move starting at printTime. */
  processMove(printTime: number, move: Move, axisIndex: number): void;
}

/** Toolhead limits a Move reads when it is created. */
export interface MoveLimits {
  readonly maxVelocity: number;
  readonly maxAccel: number;
  readonly junctionDeviation: number;
  readonly mcrPseudoAccel: number;
  readonly extraAxes: readonly ExtraAxis[];
}

/** Raised for invalid moves; the g-code layer reports it as a command error. */
export class MoveError extends GCodeError {}

/** Acceleration used for extrude-only moves before the extruder limits them. */
const EXTRUDE_ONLY_ACCEL = 99999999.9;
const INITIAL_JUNCTION_V2 = 999999999.9;

export class Move {
  readonly startPos: number[];
  endPos: number[];
  accel: number;
  readonly junctionDeviation: number;
  readonly axesD: number[];
  readonly axesR: number[];
  readonly moveD: number;
  readonly isKinematicMove: boolean;
  readonly extraAxes: readonly ExtraAxis[];
  /** Called with the move's end print time once it is queued. */
  timingCallbacks: ((printTime: number) => void)[] = [];
  minMoveT: number;
  maxStartV2 = 0;
  maxCruiseV2: number;
  deltaV2: number;
  nextJunctionV2 = INITIAL_JUNCTION_V2;
  maxMcrStartV2 = 0;
  mcrDeltaV2: number;
  // Set by setJunction()
  startV = 0;
  cruiseV = 0;
  endV = 0;
  accelT = 0;
  cruiseT = 0;
  decelT = 0;

  constructor(limits: MoveLimits, startPos: readonly number[], endPos: readonly number[], speed: number) {
    this.startPos = startPos.slice();
    this.endPos = endPos.slice();
    this.accel = limits.maxAccel;
    this.junctionDeviation = limits.junctionDeviation;
    this.extraAxes = limits.extraAxes;
    let velocity = Math.min(speed, limits.maxVelocity);
    const n = startPos.length;
    const axesD = new Array<number>(n);
    for (let i = 0; i < n; i++) axesD[i] = endPos[i]! - startPos[i]!;
    let moveD = Math.sqrt(axesD[0]! * axesD[0]! + axesD[1]! * axesD[1]! + axesD[2]! * axesD[2]!);
    let invMoveD: number;
    if (moveD < 0.000000001) {
      // Extrude-only move: keep the kinematic position exactly where it was
      this.endPos[0] = startPos[0]!;
      this.endPos[1] = startPos[1]!;
      this.endPos[2] = startPos[2]!;
      axesD[0] = axesD[1] = axesD[2] = 0;
      moveD = 0;
      for (let i = 3; i < n; i++) moveD = Math.max(moveD, Math.abs(axesD[i]!));
      invMoveD = moveD ? 1 / moveD : 0;
      this.accel = EXTRUDE_ONLY_ACCEL;
      velocity = speed;
      this.isKinematicMove = false;
    } else {
      invMoveD = 1 / moveD;
      this.isKinematicMove = true;
    }
    this.axesD = axesD;
    this.moveD = moveD;
    this.axesR = axesD.map((d) => d * invMoveD);
    this.minMoveT = moveD / velocity;
    this.maxCruiseV2 = velocity * velocity;
    this.deltaV2 = 2.0 * moveD * this.accel;
    this.mcrDeltaV2 = 2.0 * moveD * limits.mcrPseudoAccel;
  }

  /** Lower the move's cruise speed and acceleration (axis limits). */
  limitSpeed(speed: number, accel: number): void {
    const speed2 = speed * speed;
    if (speed2 < this.maxCruiseV2) {
      this.maxCruiseV2 = speed2;
      this.minMoveT = this.moveD / speed;
    }
    this.accel = Math.min(this.accel, accel);
    this.deltaV2 = 2.0 * this.moveD * this.accel;
    this.mcrDeltaV2 = Math.min(this.mcrDeltaV2, this.deltaV2);
  }

  limitNextJunctionSpeed(speed: number): void {
    this.nextJunctionV2 = Math.min(this.nextJunctionV2, speed * speed);
  }

  /** Klipper's "Move out of range: X Y Z [E]" error for this move's end point. */
  moveError(msg = "Move out of range"): MoveError {
    const ep = this.endPos;
    return new MoveError(`${msg}: ${ep[0]!.toFixed(3)} ${ep[1]!.toFixed(3)} ${ep[2]!.toFixed(3)} [${ep[3]!.toFixed(3)}]`);
  }

  /** Maximum start speed given the previous move (junction deviation model). */
  calcJunction(prev: Move): void {
    if (!this.isKinematicMove || !prev.isKinematicMove) return;
    let maxStartV2 = Math.min(
      this.maxCruiseV2,
      prev.maxCruiseV2,
      prev.nextJunctionV2,
      prev.maxStartV2 + prev.deltaV2,
    );
    const extra = this.extraAxes;
    for (let i = 0; i < extra.length; i++) maxStartV2 = Math.min(maxStartV2, extra[i]!.calcJunction(prev, this, i + 3));
    const r = this.axesR, pr = prev.axesR;
    const junctionCosTheta = -(r[0]! * pr[0]! + r[1]! * pr[1]! + r[2]! * pr[2]!);
    const sinThetaD2 = Math.sqrt(Math.max(0.5 * (1.0 - junctionCosTheta), 0));
    const cosThetaD2 = Math.sqrt(Math.max(0.5 * (1.0 + junctionCosTheta), 0));
    const oneMinusSinThetaD2 = 1 - sinThetaD2;
    if (oneMinusSinThetaD2 > 0 && cosThetaD2 > 0) {
      const rJd = sinThetaD2 / oneMinusSinThetaD2;
      const moveJdV2 = rJd * this.junctionDeviation * this.accel;
      const pmoveJdV2 = rJd * prev.junctionDeviation * prev.accel;
      // The approximated circle must touch the moves no further than mid-move
      const quarterTanThetaD2 = (0.25 * sinThetaD2) / cosThetaD2;
      const moveCentripetalV2 = this.deltaV2 * quarterTanThetaD2;
      const pmoveCentripetalV2 = prev.deltaV2 * quarterTanThetaD2;
      maxStartV2 = Math.min(maxStartV2, moveJdV2, pmoveJdV2, moveCentripetalV2, pmoveCentripetalV2);
    }
    this.maxStartV2 = maxStartV2;
    this.maxMcrStartV2 = Math.min(maxStartV2, prev.maxMcrStartV2 + prev.mcrDeltaV2);
  }

  /** Fix the trapezoid: speeds at start/cruise/end and the time of each phase. */
  setJunction(startV2: number, cruiseV2: number, endV2: number): void {
    const halfInvAccel = 0.5 / this.accel;
    const accelD = (cruiseV2 - startV2) * halfInvAccel;
    const decelD = (cruiseV2 - endV2) * halfInvAccel;
    const cruiseD = this.moveD - accelD - decelD;
    const startV = (this.startV = Math.sqrt(startV2));
    const cruiseV = (this.cruiseV = Math.sqrt(cruiseV2));
    const endV = (this.endV = Math.sqrt(endV2));
    this.accelT = accelD / ((startV + cruiseV) * 0.5);
    this.cruiseT = cruiseD / cruiseV;
    this.decelT = decelD / ((endV + cruiseV) * 0.5);
  }

  /** Total duration once setJunction() ran. */
  get moveT(): number {
    return this.accelT + this.cruiseT + this.decelT;
  }
}

/** Seconds of queued moves that trigger a (lazy) planning pass in steady state. */
export const LOOKAHEAD_FLUSH_TIME = 0.15;

/** Per-move scratch of a flush pass (kept between calls to avoid reallocating). */
interface JunctionInfo {
  startV2: number;
  cruiseV2: number; // NaN = not yet known (move can not accelerate)
  nextStartV2: number;
}

export class LookAheadQueue {
  private queue: Move[] = [];
  private junctionFlush = LOOKAHEAD_FLUSH_TIME;
  private scratch: JunctionInfo[] = [];

  reset(): void {
    this.queue = [];
    this.junctionFlush = LOOKAHEAD_FLUSH_TIME;
  }
  setFlushTime(flushTime: number): void {
    this.junctionFlush = flushTime;
  }
  isEmpty(): boolean {
    return this.queue.length === 0;
  }
  getLast(): Move | null {
    return this.queue.length ? this.queue[this.queue.length - 1]! : null;
  }
  get length(): number {
    return this.queue.length;
  }

  /**
   * Plan queued moves assuming a full stop after the last one. Lazy: only
   * return the leading moves whose speeds can no longer change when more
   * moves are added (possibly none). Returns the planned moves, removed from
   * the queue.
   */
  flush(lazy = false): Move[] {
    this.junctionFlush = LOOKAHEAD_FLUSH_TIME;
    let updateFlushCount = lazy;
    const queue = this.queue;
    let flushCount = queue.length;
    const info = this.scratch;
    while (info.length < flushCount) info.push({ startV2: 0, cruiseV2: 0, nextStartV2: 0 });
    // Backward pass: maximum start speeds that still allow stopping at the end
    let nextStartV2 = 0, nextMcrStartV2 = 0, peakCruiseV2 = 0;
    let pendingCv2Assign = 0;
    for (let i = flushCount - 1; i >= 0; i--) {
      const move = queue[i]!;
      const reachableStartV2 = nextStartV2 + move.deltaV2;
      const startV2 = Math.min(move.maxStartV2, reachableStartV2);
      let cruiseV2 = NaN;
      pendingCv2Assign++;
      const reachMcrStartV2 = nextMcrStartV2 + move.mcrDeltaV2;
      const mcrStartV2 = Math.min(move.maxMcrStartV2, reachMcrStartV2);
      if (mcrStartV2 < reachMcrStartV2) {
        // This move can accelerate
        if (mcrStartV2 + move.mcrDeltaV2 > nextMcrStartV2 || pendingCv2Assign > 1) {
          // It can both accelerate and decelerate, or it is a full accel
          // move followed by a full decel move
          if (updateFlushCount && peakCruiseV2) {
            flushCount = i + pendingCv2Assign;
            updateFlushCount = false;
          }
          peakCruiseV2 = (mcrStartV2 + reachMcrStartV2) * 0.5;
        }
        cruiseV2 = Math.min((startV2 + reachableStartV2) * 0.5, move.maxCruiseV2, peakCruiseV2);
        pendingCv2Assign = 0;
      }
      const ji = info[i]!;
      ji.startV2 = startV2;
      ji.cruiseV2 = cruiseV2;
      ji.nextStartV2 = nextStartV2;
      nextStartV2 = startV2;
      nextMcrStartV2 = mcrStartV2;
    }
    if (updateFlushCount || !flushCount) return [];
    // Forward pass: moves that can not accelerate inherit the previous cruise speed
    let prevCruiseV2 = 0;
    for (let i = 0; i < flushCount; i++) {
      const ji = info[i]!;
      let cruiseV2 = ji.cruiseV2;
      if (Number.isNaN(cruiseV2)) cruiseV2 = Math.min(prevCruiseV2, ji.startV2);
      queue[i]!.setJunction(Math.min(ji.startV2, cruiseV2), cruiseV2, Math.min(ji.nextStartV2, cruiseV2));
      prevCruiseV2 = cruiseV2;
    }
    return queue.splice(0, flushCount);
  }

  /** Queue a move; true when enough move time is queued to warrant a lazy flush. */
  addMove(move: Move): boolean {
    this.queue.push(move);
    if (this.queue.length === 1) return false;
    move.calcJunction(this.queue[this.queue.length - 2]!);
    this.junctionFlush -= move.minMoveT;
    return this.junctionFlush <= 0;
  }
}
