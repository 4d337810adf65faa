// The toolhead: turns requested moves into planned trapezoids on the motion
// timeline (print time), and decides when planning and step generation happen.
//
// Queuing states (as in Klipper): "NeedPrime" — idle, the next moves start a
// fresh buffer; "Priming" — moves are being collected; "" (main) — moves flow
// through the look-ahead queue while earlier ones are already being stepped.
// Any explicit wait (dwell, M400, homing, set_position) returns to NeedPrime,
// and the next move is scheduled no earlier than what step generation allows
// (calcPrintTime).
import { LookAheadQueue, Move, type ExtraAxis, type MoveLimits } from "./lookahead.ts";
import { then } from "../util/maybe-async.ts";
import type { TrapQ } from "./steps/trapq.ts";
import type { Reactor } from "../core/reactor.ts";

/** Time the first moves of a fresh buffer are scheduled ahead of "now". */
export const BUFFER_TIME_START = 0.25;
/** Look-ahead flush time while priming, and the pause threshold. */
export const BUFFER_TIME_HIGH = 1.0;
const PRIMING_CMD_TIME = 0.1;

/** Step generation and flushing, shared by everything that queues motion. */
export interface MotionQueuing {
  allocateTrapq(): TrapQ;
  /** Called before each step generation pass with (flushTime, stepGenTime). */
  registerFlushCallback(cb: (flushTime: number, stepGenTime: number) => void, canAddTrapq?: boolean): void;
  getKinFlushDelay(): number;
  /** Earliest print time new motion may start at after an idle period. */
  calcStepGenRestart(estPrintTime: number): number;
  noteMcuMovequeueActivity(mqTime: number, isStepGen?: boolean): void;
  flushAllSteps(): void;
  /** Step out a homing/probing move in small segments until done. */
  dripUpdateTime(startTime: number, endTime: number, completion: DripCompletion): void | Promise<void>;
  wipeTrapq(trapq: TrapQ): void;
}

/** Completion signalled when a homing move's endstop triggers. */
export interface DripCompletion {
  test(): boolean;
}

/** The stepper kinematics of the toolhead (cartesian, corexy, delta, ...). */
export interface ToolheadKinematics {
  checkMove(move: Move): void;
  setPosition(newpos: readonly number[], homingAxes: string): void;
  clearHomingState(axes: string): void;
  getStatus(): Record<string, unknown>;
}

/** What the toolhead needs from the event loop. */
/** The event loop the toolhead runs on (the printer's reactor). */
export type ToolheadReactor = Pick<Reactor, "monotonic" | "yieldNow" | "pause" | "setTimer" | "cancelTimer">;

export interface ToolheadClock {
  estimatedPrintTime(hostTime: number): number;
  isBatch(): boolean;
}

export interface ToolheadEvents {
  sendEvent(name: string, ...args: unknown[]): void;
}

export interface ToolheadOptions {
  maxVelocity: number;
  maxAccel: number;
  minimumCruiseRatio: number;
  squareCornerVelocity: number;
}

/** Extra axis used when the printer has no extruder: any E motion is an error. */
export class DummyExtruder implements ExtraAxis {
  getName(): string {
    return "";
  }
  getAxisGcodeId(): string {
    return "E";
  }
  checkMove(move: Move): void {
    throw move.moveError("Extrude when no extruder present");
  }
  calcJunction(_prev: Move, move: Move): number {
    return move.maxCruiseV2;
  }
  processMove(): void {}
}

type QueuingState = "NeedPrime" | "Priming" | "";

export class ToolHead implements MoveLimits {
  maxVelocity: number;
  maxAccel: number;
  minCruiseRatio: number;
  squareCornerVelocity: number;
  junctionDeviation = 0;
  mcrPseudoAccel = 0;
  readonly lookahead = new LookAheadQueue();
  commandedPos: number[] = [0, 0, 0, 0];
  extraAxes: ExtraAxis[] = [new DummyExtruder()];
  printTime = 0;
  printStall = 0;
  private specialQueuingState: QueuingState = "NeedPrime";
  private checkStallTime = 0;
  private needCheckPause = -1;
  private canPause: boolean;
  private primingTimerActive = false;
  readonly trapq: TrapQ;
  kin!: ToolheadKinematics;

  constructor(
    opts: ToolheadOptions,
    private readonly mq: MotionQueuing,
    private readonly clock: ToolheadClock,
    private readonly reactor: ToolheadReactor,
    private readonly events: ToolheadEvents,
  ) {
    this.maxVelocity = opts.maxVelocity;
    this.maxAccel = opts.maxAccel;
    this.minCruiseRatio = opts.minimumCruiseRatio;
    this.squareCornerVelocity = opts.squareCornerVelocity;
    this.calcJunctionDeviation();
    this.lookahead.setFlushTime(BUFFER_TIME_HIGH);
    this.canPause = !clock.isBatch();
    this.trapq = mq.allocateTrapq();
    mq.registerFlushCallback((ft, sgt) => this.handleStepFlush(ft, sgt), true);
  }

  /** Attach the kinematics (created after the toolhead, as they need its trapq). */
  setKinematics(kin: ToolheadKinematics): void {
    this.kin = kin;
  }

  // ---- print time tracking ----
  private advanceMoveTime(nextPrintTime: number): void {
    this.printTime = Math.max(this.printTime, nextPrintTime);
  }

  private calcPrintTime(): void {
    const curtime = this.reactor.monotonic();
    const estPrintTime = this.clock.estimatedPrintTime(curtime);
    const kinTime = this.mq.calcStepGenRestart(estPrintTime);
    const minPrintTime = Math.max(estPrintTime + BUFFER_TIME_START, kinTime);
    if (minPrintTime > this.printTime) {
      this.printTime = minPrintTime;
      this.events.sendEvent("toolhead:sync_print_time", curtime, estPrintTime, this.printTime);
    }
  }

  private processLookahead(lazy = false): void {
    const moves = this.lookahead.flush(lazy);
    if (!moves.length) return;
    if (this.specialQueuingState) {
      // Leaving NeedPrime/Priming: the buffer starts now
      this.specialQueuingState = "";
      this.needCheckPause = -1;
      this.calcPrintTime();
    }
    let nextMoveTime = this.printTime;
    const tq = this.trapq;
    const extra = this.extraAxes;
    for (const move of moves) {
      if (move.isKinematicMove) {
        const sp = move.startPos, r = move.axesR;
        tq.append(nextMoveTime, move.accelT, move.cruiseT, move.decelT, sp[0]!, sp[1]!, sp[2]!, r[0]!, r[1]!, r[2]!,
          move.startV, move.cruiseV, move.accel);
      }
      for (let i = 0; i < extra.length; i++) {
        if (move.axesD[i + 3]) extra[i]!.processMove(nextMoveTime, move, i + 3);
      }
      nextMoveTime = nextMoveTime + move.accelT + move.cruiseT + move.decelT;
      for (const cb of move.timingCallbacks) cb(nextMoveTime);
    }
    this.advanceMoveTime(nextMoveTime);
    this.mq.noteMcuMovequeueActivity(nextMoveTime);
  }

  private flushLookahead(isRunout = false): void {
    const prevPrintTime = this.printTime;
    this.processLookahead();
    this.specialQueuingState = "NeedPrime";
    this.needCheckPause = -1;
    this.lookahead.setFlushTime(BUFFER_TIME_HIGH);
    this.checkStallTime = 0;
    if (isRunout && prevPrintTime !== this.printTime) this.checkStallTime = this.printTime;
  }

  private handleStepFlush(_flushTime: number, stepGenTime: number): void {
    if (this.specialQueuingState) return;
    // Main state: plan everything queued if step generation is about to run dry
    const kinFlushDelay = this.mq.getKinFlushDelay();
    if (stepGenTime >= this.printTime - kinFlushDelay - 0.001) this.flushLookahead(true);
  }

  /** Plan every queued move and generate all of their steps. */
  flushStepGeneration(): void {
    this.flushLookahead();
    this.mq.flushAllSteps();
  }

  /** Print time at which the last queued move ends (plans pending moves). */
  getLastMoveTime(): number {
    if (this.specialQueuingState) {
      this.flushLookahead();
      this.calcPrintTime();
    } else {
      this.processLookahead();
    }
    return this.printTime;
  }

  private primingHandler(): void {
    this.primingTimerActive = false;
    if (this.specialQueuingState === "Priming") this.flushLookahead(true);
  }

  private checkPrimingState(eventtime: number): void {
    if (this.lookahead.isEmpty()) return; // NeedPrime and can stay there
    const estPrintTime = this.clock.estimatedPrintTime(eventtime);
    if (this.checkStallTime) {
      // Came to NeedPrime from idle input
      if (estPrintTime < this.checkStallTime) this.printStall++;
      this.checkStallTime = 0;
    }
    this.specialQueuingState = "Priming";
    this.needCheckPause = -1;
    if (!this.canPause) {
      // Batch: no real time passes while input is read, the timer never fires
      return;
    }
    const willPauseTime = this.printTime - estPrintTime - BUFFER_TIME_HIGH;
    const wtime = eventtime + Math.max(0, willPauseTime) + PRIMING_CMD_TIME;
    this.primingTimerActive = true;
    this.reactor.setTimer("toolhead:priming", wtime, () => this.primingHandler());
  }

  /**
   * Keep the buffer of planned motion about BUFFER_TIME_HIGH ahead of the MCU:
   * live mode waits (the returned Promise) while it is further ahead; batch
   * output never waits and stops checking until the next idle period.
   */
  private checkPause(): void | Promise<void> {
    const eventtime = this.reactor.monotonic();
    if (this.specialQueuingState) this.checkPrimingState(eventtime);
    if (this.canPause) return this.checkPauseLive(eventtime);
    const estPrintTime = this.clock.estimatedPrintTime(eventtime);
    if (this.printTime - estPrintTime - BUFFER_TIME_HIGH > 0) {
      this.needCheckPause = Infinity;
      return;
    }
    if (!this.specialQueuingState) {
      this.needCheckPause = this.printTime;
      // May be falling behind: let other tasks (flushing) run
      this.reactor.yieldNow();
    }
  }

  private async checkPauseLive(eventtime: number): Promise<void> {
    let didPause = false;
    for (;;) {
      const pauseTime = this.printTime - this.clock.estimatedPrintTime(eventtime) - BUFFER_TIME_HIGH;
      if (pauseTime <= 0) break;
      if (!this.canPause) {
        this.needCheckPause = Infinity;
        return;
      }
      await this.reactor.pause(eventtime + Math.max(0.005, Math.min(1, pauseTime)));
      eventtime = this.reactor.monotonic();
      didPause = true;
    }
    if (!this.specialQueuingState) {
      this.needCheckPause = this.printTime;
      // May be falling behind: yield to avoid starving other tasks
      if (!didPause) await this.reactor.pause(this.reactor.monotonic());
    }
  }

  // ---- movement ----
  getPosition(): number[] {
    return this.commandedPos.slice();
  }

  setPosition(newpos: readonly number[], homingAxes = ""): void {
    this.flushStepGeneration();
    this.trapq.setPosition(this.printTime, newpos[0]!, newpos[1]!, newpos[2]!);
    this.commandedPos[0] = newpos[0]!;
    this.commandedPos[1] = newpos[1]!;
    this.commandedPos[2] = newpos[2]!;
    this.kin.setPosition(newpos, homingAxes);
    this.events.sendEvent("toolhead:set_position");
  }

  limitNextJunctionSpeed(speed: number): void {
    this.lookahead.getLast()?.limitNextJunctionSpeed(speed);
  }

  /** Queue a move; live mode may return a Promise to wait on (buffer full). */
  move(newpos: readonly number[], speed: number): void | Promise<void> {
    const move = new Move(this, this.commandedPos, newpos, speed);
    if (!move.moveD) return;
    if (move.isKinematicMove) this.kin.checkMove(move);
    for (let i = 0; i < this.extraAxes.length; i++) {
      if (move.axesD[i + 3]) this.extraAxes[i]!.checkMove(move, i + 3);
    }
    this.commandedPos = move.endPos.slice();
    const wantFlush = this.lookahead.addMove(move);
    if (wantFlush) this.processLookahead(true);
    if (this.printTime > this.needCheckPause) return this.checkPause();
  }

  manualMove(coord: readonly (number | null | undefined)[], speed: number): void | Promise<void> {
    const curpos = this.commandedPos.slice();
    for (let i = 0; i < coord.length; i++) {
      const c = coord[i];
      if (c !== null && c !== undefined) curpos[i] = c;
    }
    return then(this.move(curpos, speed), () => void this.events.sendEvent("toolhead:manual_move"));
  }

  dwell(delay: number): void | Promise<void> {
    this.flushLookahead();
    const nextPrintTime = this.getLastMoveTime() + Math.max(0, delay);
    this.advanceMoveTime(nextPrintTime);
    return this.checkPause();
  }

  /** M400: plan everything; live mode also waits until the moves are done. */
  waitMoves(): void | Promise<void> {
    this.flushLookahead();
    if (this.canPause) return this.waitMovesLive();
  }

  private async waitMovesLive(): Promise<void> {
    let eventtime = this.reactor.monotonic();
    while (!this.specialQueuingState || this.printTime >= this.clock.estimatedPrintTime(eventtime)) {
      if (!this.canPause) break;
      await this.reactor.pause(eventtime + 0.1);
      eventtime = this.reactor.monotonic();
    }
  }

  // ---- extra axes ----
  setExtruder(extruder: ExtraAxis, extrudePos: number): void {
    this.extraAxes[0] = extruder;
    this.commandedPos[3] = extrudePos;
  }
  getExtruder(): ExtraAxis {
    return this.extraAxes[0]!;
  }
  addExtraAxis(ea: ExtraAxis, axisPos: number): void {
    this.flushLookahead();
    this.extraAxes.push(ea);
    this.commandedPos.push(axisPos);
    this.events.sendEvent("toolhead:update_extra_axes");
  }
  removeExtraAxis(ea: ExtraAxis): void {
    this.flushLookahead();
    const idx = this.extraAxes.indexOf(ea);
    if (idx < 0) return;
    this.commandedPos.splice(idx + 3, 1);
    this.extraAxes.splice(idx, 1);
    this.events.sendEvent("toolhead:update_extra_axes");
  }
  /** Axes by position index (null for X/Y/Z). */
  getExtraAxes(): (ExtraAxis | null)[] {
    return [null, null, null, ...this.extraAxes];
  }

  // ---- homing "drip" moves ----
  private dripLoadTrapq(submitMove: Move): [number, number] {
    if (submitMove.moveD) {
      this.commandedPos = submitMove.endPos.slice();
      this.lookahead.addMove(submitMove);
    }
    const moves = this.lookahead.flush();
    this.calcPrintTime();
    const startTime = this.printTime;
    let endTime = startTime;
    for (const move of moves) {
      const sp = move.startPos, r = move.axesR;
      this.trapq.append(endTime, move.accelT, move.cruiseT, move.decelT, sp[0]!, sp[1]!, sp[2]!, r[0]!, r[1]!, r[2]!,
        move.startV, move.cruiseV, move.accel);
      endTime = endTime + move.accelT + move.cruiseT + move.decelT;
    }
    this.lookahead.reset();
    return [startTime, endTime];
  }

  /** A homing/probing move, stepped out until `completion` signals (or the end). */
  dripMove(newpos: readonly number[], speed: number, completion: DripCompletion): void | Promise<void> {
    const pos = [newpos[0]!, newpos[1]!, newpos[2]!, ...this.commandedPos.slice(3)];
    const move = new Move(this, this.commandedPos, pos, speed);
    if (move.moveD) this.kin.checkMove(move);
    // Make sure stepper movement doesn't start before the nominal start time
    return then(this.dwell(this.mq.getKinFlushDelay()), () => {
      this.processLookahead();
      const [startTime, endTime] = this.dripLoadTrapq(move);
      return then(this.mq.dripUpdateTime(startTime, endTime, completion), () => this.mq.wipeTrapq(this.trapq));
    });
  }

  // ---- misc ----
  registerLookaheadCallback(cb: (printTime: number) => void): void {
    const last = this.lookahead.getLast();
    if (!last) {
      cb(this.getLastMoveTime());
      return;
    }
    last.timingCallbacks.push(cb);
  }

  getMaxVelocity(): [number, number] {
    return [this.maxVelocity, this.maxAccel];
  }

  private calcJunctionDeviation(): void {
    const scv2 = this.squareCornerVelocity * this.squareCornerVelocity;
    this.junctionDeviation = (scv2 * (Math.SQRT2 - 1)) / this.maxAccel;
    this.mcrPseudoAccel = this.maxAccel * (1 - this.minCruiseRatio);
  }

  setMaxVelocities(
    maxVelocity: number | null,
    maxAccel: number | null,
    squareCornerVelocity: number | null,
    minCruiseRatio: number | null,
  ): [number, number, number, number] {
    if (maxVelocity !== null) this.maxVelocity = maxVelocity;
    if (maxAccel !== null) this.maxAccel = maxAccel;
    if (squareCornerVelocity !== null) this.squareCornerVelocity = squareCornerVelocity;
    if (minCruiseRatio !== null) this.minCruiseRatio = minCruiseRatio;
    this.calcJunctionDeviation();
    return [this.maxVelocity, this.maxAccel, this.squareCornerVelocity, this.minCruiseRatio];
  }

  /** Stop planning after a shutdown: queued moves are dropped. */
  handleShutdown(): void {
    this.canPause = false;
    this.lookahead.reset();
    if (this.primingTimerActive) this.reactor.cancelTimer("toolhead:priming");
  }

  getStatus(eventtime: number): Record<string, unknown> {
    const extruder = this.extraAxes[0]!;
    const extraAxes: Record<string, number> = {};
    this.extraAxes.forEach((ea, i) => {
      const n = ea.getName();
      if (n) extraAxes[n] = i + 3;
    });
    return {
      ...this.kin.getStatus(),
      print_time: this.printTime,
      stalls: this.printStall,
      estimated_print_time: this.clock.estimatedPrintTime(eventtime),
      extruder: extruder.getName(),
      position: this.commandedPos.slice(),
      max_velocity: this.maxVelocity,
      max_accel: this.maxAccel,
      minimum_cruise_ratio: this.minCruiseRatio,
      square_corner_velocity: this.squareCornerVelocity,
      extra_axes: extraAxes,
    };
  }
}

