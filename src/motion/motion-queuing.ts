// When steps get generated and sent: owns every trapq and the per-MCU step
// synchronisers, and advances two times — the step generation time (steps are
// solved up to here) and the flush time (commands before here are sent).
// Flush callbacks (the toolhead's look-ahead runout check, stepper enable
// detection) run before each step generation pass.
//
// Background flushing is a timer. In batch (file output) mode it follows
// Klipper's debug-output schedule: steps are generated in fixed 0.25 s batches
// up to 1.5 s behind the last queued motion, and once caught up everything is
// flushed (0.25 s past the last motion). The timer only runs when the event
// loop gets a turn, which in batch mode is between blocks of g-code input.
import { StepperSyncManager, type CommandEncoder, type CommandSink, type StepperSync, type SyncEmitter } from "./steps/steppersync.ts";
import { TrapQ, NEVER_TIME } from "./steps/trapq.ts";
import type { DripCompletion, MotionQueuing } from "./toolhead.ts";

const BGFLUSH_LOW_TIME = 0.2;
const BGFLUSH_HIGH_TIME = 0.4;
const BGFLUSH_SG_LOW_TIME = 0.45;
const BGFLUSH_SG_HIGH_TIME = 0.7;
const BGFLUSH_EXTRA_TIME = 0.25;
/** Batch mode keeps step generation this far behind the last queued motion. */
const BATCH_FLUSH_LAG = 1.5;
const MOVE_HISTORY_EXPIRE = 30.0;
const MIN_KIN_TIME = 0.1;
const STEPCOMPRESS_FLUSH_TIME = 0.05;
/** Window of the step+dir+step filter in step compression. */
export const SDS_CHECK_TIME = 0.001;
const DRIP_SEGMENT_TIME = 0.05;
/** Live homing keeps step generation this far ahead of the MCU. */
const DRIP_TIME = 0.1;

/** Host time, the main MCU's estimated print time, and waiting (live mode). */
export interface MotionClock {
  monotonic(): number;
  estimatedPrintTime(hostTime: number): number;
  pause(until: number): Promise<void>;
}

/** The MCU side of a step synchroniser (an Mcu): how its commands are encoded and sent. */
export interface MovequeueMcu {
  readonly name: string;
  readonly dict: { encodeCommand(name: string, params: Record<string, number>): Uint8Array; readonly clockFreq: number };
  allocCommandQueue(): unknown;
  sendCommand(encoded: Uint8Array, opts: { minClock?: number; reqClock?: number; queue?: any }): void;
  isBatch(): boolean;
  /** Live: the MCU clock's current mapping to print time (secondary MCUs drift). */
  calibrateClock?(printTime: number, hostTime: number): { offset: number; freq: number };
}

/** A one-shot timer in the event loop (batch: run when the loop gets a turn). */
export interface FlushTimer {
  /** Run the handler at the next opportunity. */
  kick(): void;
  /** Do not run until kicked again. */
  cancel(): void;
}

export class MotionQueuingError extends Error {}

export class PrinterMotionQueuing implements MotionQueuing {
  private readonly trapqs: TrapQ[] = [];
  readonly mgr = new StepperSyncManager();
  private readonly syncs = new Map<string, StepperSync>();
  private readonly syncMcus = new Map<string, MovequeueMcu>();
  private readonly emitterNames = new Map<SyncEmitter, string>();
  readonly emitters: SyncEmitter[] = [];
  private flushCallbacks: ((flushTime: number, stepGenTime: number) => void)[] = [];
  private kinFlushDelay = SDS_CHECK_TIME;
  private clearHistoryTime = 0;
  private doKickFlushTimer = true;
  lastFlushTime = 0;
  lastStepGenTime = 0;
  needFlushTime = 0;
  needStepGenTime = 0;
  private readonly dripStartTimes: number[] = [];
  private timer: FlushTimer | null = null;
  private clock: MotionClock | null = null;

  /** `canPause` false = batch output (no real time passes). */
  constructor(private canPause: boolean) {}

  /** After a shutdown nothing waits for the MCU any more. */
  handleShutdown(): void {
    this.canPause = false;
  }

  /** Live mode: where host time and the MCU's estimated print time come from. */
  setClock(clock: MotionClock): void {
    this.clock = clock;
  }

  /** Attach the event-loop timer that runs the background flush. */
  setFlushTimer(timer: FlushTimer): void {
    this.timer = timer;
  }

  // ---- trapqs ----
  allocateTrapq(): TrapQ {
    const tq = new TrapQ();
    this.trapqs.push(tq);
    return tq;
  }
  /** Expire all remaining movement of a trapq (moves it to history). */
  wipeTrapq(trapq: TrapQ): void {
    trapq.finalizeMoves(NEVER_TIME, 0);
  }

  // ---- step synchronisers ----
  private lookupSync(mcu: MovequeueMcu): StepperSync {
    let ss = this.syncs.get(mcu.name);
    if (!ss) {
      // Step commands go out on their own command queue, ordered by required clock
      const queue = mcu.allocCommandQueue();
      const encoder: CommandEncoder = (name, params) => mcu.dict.encodeCommand(name, params);
      const sink: CommandSink = (data, minClock, reqClock) => mcu.sendCommand(data, { minClock, reqClock, queue });
      ss = this.mgr.allocStepperSync(encoder, sink);
      ss.setTime(0, mcu.dict.clockFreq);
      this.syncs.set(mcu.name, ss);
      this.syncMcus.set(mcu.name, mcu);
    }
    return ss;
  }
  allocateSyncemitter(mcu: MovequeueMcu, name: string, allocStepcompress = true): SyncEmitter {
    const ss = this.lookupSync(mcu);
    const se = ss.allocSyncEmitter(name.split(/\s+/).pop()!, allocStepcompress);
    this.emitterNames.set(se, name);
    this.emitters.push(se);
    return se;
  }
  /** Size the MCU's move queue once its config is known. */
  setupMcuMovequeue(mcu: MovequeueMcu, moveCount: number): void {
    const ss = this.lookupSync(mcu);
    ss.setupMoveQueue(moveCount);
    ss.setTime(0, mcu.dict.clockFreq);
  }

  /**
   * Live, about once a second (Klipper's motion_queuing stats): re-read each
   * MCU's clock mapping for step timing and let old movement history expire.
   */
  calibrateClocks(eventtime: number, estPrintTime: number): void {
    for (const [name, ss] of this.syncs) {
      const cal = this.syncMcus.get(name)?.calibrateClock?.(this.lastStepGenTime, eventtime);
      if (cal) ss.setTime(cal.offset, cal.freq);
    }
    this.clearHistoryTime = Math.max(0, estPrintTime - MOVE_HISTORY_EXPIRE);
  }

  // ---- flush callbacks ----
  registerFlushCallback(cb: (flushTime: number, stepGenTime: number) => void, canAddTrapq = false): void {
    this.flushCallbacks = canAddTrapq ? [cb, ...this.flushCallbacks] : [...this.flushCallbacks, cb];
  }
  unregisterFlushCallback(cb: (flushTime: number, stepGenTime: number) => void): void {
    this.flushCallbacks = this.flushCallbacks.filter((c) => c !== cb);
  }

  // ---- step generation scan windows ----
  getKinFlushDelay(): number {
    return this.kinFlushDelay;
  }
  /** Recompute how far around each move steps may be generated (smoothing kinematics). */
  checkStepGenerationScanWindows(): void {
    let delay = SDS_CHECK_TIME;
    for (const se of this.emitters) {
      const sk = se.sk;
      if (!sk || !sk.tq) continue;
      delay = Math.max(delay, sk.genStepsPreActive, sk.genStepsPostActive);
    }
    this.kinFlushDelay = delay;
  }

  // ---- flushing ----
  private advanceFlushTime(wantFlushTime: number, wantStepGenTime = 0): void {
    const flushTime = Math.max(wantFlushTime, this.lastFlushTime, wantStepGenTime - STEPCOMPRESS_FLUSH_TIME);
    const stepGenTime = Math.max(wantStepGenTime, this.lastStepGenTime, flushTime);
    for (const cb of this.flushCallbacks) cb(flushTime, stepGenTime);
    const trapqFreeTime = stepGenTime - this.kinFlushDelay;
    let clearHistoryTime = this.clearHistoryTime;
    if (!this.canPause) clearHistoryTime = Math.max(0, trapqFreeTime - MOVE_HISTORY_EXPIRE);
    try {
      this.mgr.genSteps(flushTime, stepGenTime, clearHistoryTime);
    } catch (e) {
      throw new MotionQueuingError(
        `Internal error in stepcompress (flush_time=${flushTime} step_gen_time=${stepGenTime}): ${(e as Error).message}`,
        { cause: e },
      );
    }
    this.lastFlushTime = flushTime;
    this.lastStepGenTime = stepGenTime;
    for (const tq of this.trapqs) tq.finalizeMoves(trapqFreeTime, clearHistoryTime);
  }

  /** Generate and send every step of the queued motion. */
  flushAllSteps(): void {
    this.advanceFlushTime(this.needStepGenTime);
  }

  calcStepGenRestart(estPrintTime: number): number {
    const kinTime = Math.max(estPrintTime + MIN_KIN_TIME, this.lastStepGenTime);
    return kinTime + this.kinFlushDelay;
  }

  /**
   * Batch-mode background flush (the timer handler). Returns true to be run
   * again at the next turn, false to wait for the next kick.
   */
  handleFlushTimer(): boolean {
    const fauxTime = this.needFlushTime - BATCH_FLUSH_LAG;
    const batchTime = BGFLUSH_SG_HIGH_TIME - BGFLUSH_SG_LOW_TIME;
    let flushCount = 0;
    while (this.lastStepGenTime < fauxTime) {
      let target = this.lastStepGenTime + batchTime;
      if (flushCount > 100 && fauxTime > target) target += Math.trunc((fauxTime - target) / batchTime) * batchTime;
      this.advanceFlushTime(0, target);
      flushCount++;
    }
    if (flushCount) return true;
    this.advanceFlushTime(this.needFlushTime + BGFLUSH_EXTRA_TIME);
    this.doKickFlushTimer = true;
    return false;
  }

  /**
   * Live background flush (Klipper's _flush_handler): generate steps about
   * 0.45-0.7 s ahead of the MCU while moving, otherwise flush 0.4 s ahead.
   * Returns the host time to run again, or Infinity to wait for a kick.
   */
  handleLiveFlushTimer(eventtime: number, estPrintTime: number): number {
    let aggrSgTime = this.needStepGenTime - 2 * this.kinFlushDelay;
    if (this.lastStepGenTime < aggrSgTime) {
      // Actively stepping: flush in fixed batches from the last step generation time
      let wantSgTime = estPrintTime + BGFLUSH_SG_HIGH_TIME;
      const batchTime = BGFLUSH_SG_HIGH_TIME - BGFLUSH_SG_LOW_TIME;
      let nextBatchTime = this.lastStepGenTime + batchTime;
      if (nextBatchTime > estPrintTime) {
        if (nextBatchTime > wantSgTime + 0.005) nextBatchTime = this.lastStepGenTime;
        wantSgTime = nextBatchTime;
      }
      wantSgTime = Math.min(wantSgTime, aggrSgTime);
      if (wantSgTime > this.lastStepGenTime) this.advanceFlushTime(0, wantSgTime);
    } else {
      // Not stepping (or only remnants): relaxed flushing
      const wantFlushTime = Math.min(estPrintTime + BGFLUSH_HIGH_TIME, this.needFlushTime + BGFLUSH_EXTRA_TIME);
      if (wantFlushTime > this.lastFlushTime) this.advanceFlushTime(wantFlushTime);
    }
    aggrSgTime = this.needStepGenTime - 2 * this.kinFlushDelay;
    let waketime: number;
    if (this.lastStepGenTime < aggrSgTime) {
      waketime = this.lastStepGenTime - BGFLUSH_SG_LOW_TIME;
    } else {
      this.doKickFlushTimer = true;
      if (this.lastFlushTime >= this.needFlushTime + BGFLUSH_EXTRA_TIME) return Infinity;
      waketime = this.lastFlushTime - BGFLUSH_LOW_TIME;
    }
    return eventtime + waketime - estPrintTime;
  }

  noteMcuMovequeueActivity(mqTime: number, isStepGen = true): void {
    if (isStepGen) {
      mqTime += this.kinFlushDelay;
      this.needStepGenTime = Math.max(this.needStepGenTime, mqTime);
    }
    this.needFlushTime = Math.max(this.needFlushTime, mqTime);
    if (this.doKickFlushTimer) {
      this.doKickFlushTimer = false;
      this.timer?.kick();
    }
  }

  // ---- drip moves (homing / probing) ----
  /** Step out a homing move in 50 ms segments until it ends or `completion` signals. */
  dripUpdateTime(startTime: number, endTime: number, completion: DripCompletion): void | Promise<void> {
    if (this.canPause) return this.dripUpdateTimeLive(startTime, endTime, completion);
    this.dripStartTimes.push(startTime);
    this.dripBegin(startTime);
    let flushTime = startTime;
    while (flushTime < endTime) {
      if (completion.test()) break;
      // Batch output never waits for the MCU to catch up
      flushTime = this.dripSegment(flushTime, endTime);
    }
    this.dripEnd(startTime, flushTime);
  }

  private async dripUpdateTimeLive(startTime: number, endTime: number, completion: DripCompletion): Promise<void> {
    const clock = this.requireClock();
    this.dripStartTimes.push(startTime);
    await this.awaitFlushTime(startTime);
    this.dripBegin(startTime);
    let flushTime = startTime;
    try {
      while (flushTime < endTime) {
        if (completion.test()) break;
        const curtime = clock.monotonic();
        const waitTime = flushTime - clock.estimatedPrintTime(curtime) - DRIP_TIME;
        if (waitTime > 0) {
          // Do not get further ahead of the MCU than needed (the endstop may trigger)
          await clock.pause(curtime + Math.min(waitTime, DRIP_SEGMENT_TIME));
          continue;
        }
        flushTime = this.dripSegment(flushTime, endTime);
      }
    } finally {
      this.dripEnd(startTime, flushTime);
    }
  }

  private dripBegin(startTime: number): void {
    // No background flushing while dripping
    this.timer?.cancel();
    this.doKickFlushTimer = false;
    this.advanceFlushTime(startTime - SDS_CHECK_TIME, startTime);
  }

  private dripSegment(flushTime: number, endTime: number): number {
    const next = Math.min(flushTime + DRIP_SEGMENT_TIME, endTime);
    this.noteMcuMovequeueActivity(next);
    this.advanceFlushTime(next - SDS_CHECK_TIME, next);
    return next;
  }

  private dripEnd(startTime: number, flushTime: number): void {
    this.timer?.kick();
    this.advanceFlushTime(flushTime + this.kinFlushDelay);
    this.dripStartTimes.splice(this.dripStartTimes.indexOf(startTime), 1);
  }

  /** Live: wait until the MCU is close enough to `wantFlushTime` (BGFLUSH_HIGH_TIME). */
  private async awaitFlushTime(wantFlushTime: number): Promise<void> {
    const clock = this.requireClock();
    while (this.lastFlushTime < wantFlushTime && this.canPause) {
      const systime = clock.monotonic();
      const wait = wantFlushTime - BGFLUSH_HIGH_TIME - clock.estimatedPrintTime(systime);
      if (wait <= 0) return;
      await clock.pause(systime + Math.min(1, wait));
    }
  }

  private requireClock(): MotionClock {
    if (!this.clock) throw new MotionQueuingError("motion queuing: no clock attached for live mode");
    return this.clock;
  }

  /** Earliest start of a drip move in progress, or null. */
  checkDripTiming(): number | null {
    return this.dripStartTimes.length ? Math.min(...this.dripStartTimes) : null;
  }

  /** Name an emitter was allocated under (for error messages). */
  emitterName(se: SyncEmitter): string | undefined {
    return this.emitterNames.get(se);
  }
}
