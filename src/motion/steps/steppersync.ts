// Step-command synchronisation per MCU (Klipper's steppersync): every stepper (or other
// move-queue user) has a SyncEmitter holding its pending commands; a StepperSync merges
// the emitters of one MCU in required-clock order and tracks the MCU's move-queue slots
// (a min-heap of the clocks at which slots free up) to give each command its minClock.
// A StepperSyncManager drives step generation and flushing for all MCUs at once.
//
// API (stable; used by McuStepper, motion queuing and the toolhead):
//   const mgr = new StepperSyncManager();
//   const ss = mgr.allocStepperSync(encode, sink);   // one per MCU
//       encode(name, params) -> Uint8Array  (e.g. (n, p) => dict.encodeCommand(n, p))
//       sink(data, minClock, reqClock, msg)  receives the MCU's commands in send order
//   ss.setupMoveQueue(moveCount); ss.setTime(timeOffset, mcuFreq);
//   const se = ss.allocSyncEmitter(name, withStepCompress = true);
//   se.stepcompress (StepCompress | null), se.setStepperKinematics(sk)
//   se.queueMessage(reqClock, name, params)   a move-queue command (e.g. reset_step_clock)
//   mgr.genSteps(flushTime, genStepsTime, clearHistoryTime)
//       generates steps up to genStepsTime for every emitter, flushes commands
//       before flushTime's clock, expires history before clearHistoryTime's clock.

import { StepCompress, type StepMessage } from "./stepcompress.ts";
import type { StepperKinematics } from "./itersolve.ts";
import { Fifo } from "../../util/fifo.ts";

export type CommandEncoder = (name: string, params: Record<string, number>) => Uint8Array;
export type CommandSink = (data: Uint8Array, minClock: number, reqClock: number, msg: StepMessage) => void;

export class SyncEmitter {
  /** Pending commands (the StepCompress's sink), oldest first. */
  readonly queue = new Fifo<StepMessage>();
  readonly stepcompress: StepCompress | null;
  sk: StepperKinematics | null = null;

  constructor(readonly name: string, withStepCompress: boolean) {
    this.stepcompress = withStepCompress ? new StepCompress(this.queue) : null;
  }

  setStepperKinematics(sk: StepperKinematics | null): void { this.sk = sk; }

  /** Queue a command that occupies a move-queue slot from reqClock on. */
  queueMessage(reqClock: number, name: string, params: Record<string, number>): void {
    this.queue.push({ name, params, minClock: reqClock, reqClock });
  }

  generateSteps(genStepsTime: number, flushClock: number, clearHistoryClock: number): void {
    const sc = this.stepcompress, sk = this.sk;
    if (!sc || !sk) return;
    sk.generateSteps(sc, genStepsTime);
    sc.flush(flushClock);
    sc.historyExpire(clearHistoryClock);
  }
}

export class StepperSync {
  readonly emitters: SyncEmitter[] = [];
  private moveClocks = new Float64Array(0);
  private timeOffset = 0;
  private freq = 1;

  constructor(private readonly encode: CommandEncoder, private readonly sink: CommandSink) {}

  allocSyncEmitter(name: string, withStepCompress = true): SyncEmitter {
    const se = new SyncEmitter(name, withStepCompress);
    se.stepcompress?.setTime(this.timeOffset, this.freq);
    this.emitters.push(se);
    return se;
  }

  setupMoveQueue(moveCount: number): void {
    if (!Number.isInteger(moveCount) || moveCount < 1)
      throw new Error(`move queue size must be a positive integer, got ${moveCount}`);
    this.moveClocks = new Float64Array(moveCount);
  }

  setTime(timeOffset: number, freq: number): void {
    this.timeOffset = timeOffset;
    this.freq = freq;
    for (const se of this.emitters) se.stepcompress?.setTime(timeOffset, freq);
  }

  /** Print time to clock, rounded like Klipper's clock_from_time. */
  clockFromTime(time: number): number {
    return Math.trunc((time - this.timeOffset) * this.freq + .5);
  }

  /** Move-queue slot bookkeeping: replace the earliest free clock with reqClock. */
  private heapReplace(reqClock: number): void {
    const mc = this.moveClocks, n = mc.length;
    let pos = 0;
    for (;;) {
      const c1 = 2 * pos + 1, c2 = 2 * pos + 2;
      const c2clock = c2 < n ? mc[c2]! : Infinity;
      const c1clock = c1 < n ? mc[c1]! : Infinity;
      if (reqClock <= c1clock && reqClock <= c2clock) { mc[pos] = reqClock; break; }
      if (c1clock < c2clock) { mc[pos] = c1clock; pos = c1; }
      else { mc[pos] = c2clock; pos = c2; }
    }
  }

  /** Send every pending command due before moveClock, lowest reqClock first. */
  flush(moveClock: number): void {
    if (!this.moveClocks.length) throw new Error("StepperSync.flush before setupMoveQueue");
    const ems = this.emitters;
    for (;;) {
      let best: SyncEmitter | null = null, reqClock = Infinity;
      for (let i = 0; i < ems.length; i++) {
        const m = ems[i]!.queue.peek();
        if (m !== undefined && m.reqClock < reqClock) { best = ems[i]!; reqClock = m.reqClock; }
      }
      if (!best) break;
      const qm = best.queue.peek()!;
      if (qm.minClock && reqClock > moveClock) break;
      const nextAvail = this.moveClocks[0]!;
      if (qm.minClock) this.heapReplace(qm.minClock);
      qm.minClock = nextAvail;
      best.queue.shift();
      this.sink(this.encode(qm.name, qm.params), qm.minClock, qm.reqClock, qm);
    }
  }
}

export class StepperSyncManager {
  readonly syncs: StepperSync[] = [];

  allocStepperSync(encode: CommandEncoder, sink: CommandSink): StepperSync {
    const ss = new StepperSync(encode, sink);
    this.syncs.push(ss);
    return ss;
  }

  /** Generate steps up to genStepsTime on every emitter, then send what is due by flushTime. */
  genSteps(flushTime: number, genStepsTime: number, clearHistoryTime: number): void {
    for (const ss of this.syncs)
      for (const se of ss.emitters) {
        const tq = se.stepcompress && se.sk ? se.sk.tq : null;
        if (tq) tq.checkSentinels();
      }
    for (const ss of this.syncs) {
      const flushClock = ss.clockFromTime(flushTime);
      const clearClock = ss.clockFromTime(clearHistoryTime);
      for (const se of ss.emitters) {
        try {
          se.generateSteps(genStepsTime, flushClock, clearClock);
        } catch (e) {
          throw new Error(`Internal error in stepcompress of '${se.name}': ${(e as Error).message}`, { cause: e });
        }
      }
      ss.flush(flushClock);
    }
  }
}
