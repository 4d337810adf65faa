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
import { StepperSyncManager, type CommandEncoder, type CommandSink, type StepperSync, type SyncEmitter } from "./steppersync.ts";
import { TrapQ, NEVER_TIME } from "./trapq.ts";
import type { DripCompletion, MotionQueuing } from "./toolhead.ts";

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

/** The MCU side of a step synchroniser (an Mcu): how its commands are encoded and sent. */
export interface MovequeueMcu {
  readonly name: string;
  readonly dict: { encodeCommand(name: string, params: Record<string, number>): Uint8Array; readonly clockFreq: number };
  allocCommandQueue(): unknown;
  sendCommand(encoded: Uint8Array, opts: { minClock?: number; reqClock?: number; queue?: any }): void;
  isBatch(): boolean;
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

  /** `canPause` false = batch output (no real time passes). */
  constructor(private readonly canPause: boolean) {}

  /** Attach the event-loop timer that runs handleFlushTimer(). */
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
  dripUpdateTime(startTime: number, endTime: number, completion: DripCompletion): void {
    this.dripStartTimes.push(startTime);
    // No background flushing while dripping
    this.timer?.cancel();
    this.doKickFlushTimer = false;
    this.advanceFlushTime(startTime - SDS_CHECK_TIME, startTime);
    let flushTime = startTime;
    while (flushTime < endTime) {
      if (completion.test()) break;
      // Batch output never waits for the MCU to catch up
      flushTime = Math.min(flushTime + DRIP_SEGMENT_TIME, endTime);
      this.noteMcuMovequeueActivity(flushTime);
      this.advanceFlushTime(flushTime - SDS_CHECK_TIME, flushTime);
    }
    this.timer?.kick();
    this.advanceFlushTime(flushTime + this.kinFlushDelay);
    this.dripStartTimes.splice(this.dripStartTimes.indexOf(startTime), 1);
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
