// Trigger synchronisation (firmware trsync.c): endstops and timeouts trigger a trsync, which stops
// every stepper registered on it and reports trsync_state to the host.

import type { CommandDecl, Firmware, FirmwareModule } from "../firmware.ts";
import { createTimer, SF_DONE, SF_RESCHEDULE, type Timer } from "../scheduler.ts";
import type { ArgValue } from "../codec.ts";
import { u8, u32 } from "./args.ts";

/** A callback slot an object (a stepper) registers on a trsync; func is null while inactive. */
export interface TrsyncSignal {
  func: ((reason: number) => void) | null;
}

const TSF_CAN_TRIGGER = 1 << 0;
const TSF_REPORT = 1 << 2;

export interface Trsync {
  reportTimer: Timer;
  expireTimer: Timer;
  reportTicks: number;
  signals: TrsyncSignal[];
  flags: number;
  triggerReason: number;
  expireReason: number;
}

const TYPE = "trsync";
const STATE = "trsync_state oid=%c can_trigger=%c trigger_reason=%c clock=%u";

export class TrsyncModule implements FirmwareModule {
  readonly responses = [STATE];
  readonly commands: CommandDecl[];

  constructor(private readonly fw: Firmware) {
    this.commands = [
      { format: "config_trsync oid=%c", run: ([oid]) => this.config(u8(oid)) },
      {
        format: "trsync_start oid=%c report_clock=%u report_ticks=%u expire_reason=%c",
        run: ([oid, clock, ticks, reason]) => this.start(this.lookup(oid!), u32(clock), u32(ticks), u8(reason)),
      },
      {
        format: "trsync_set_timeout oid=%c clock=%u",
        run: ([oid, clock]) => {
          const ts = this.lookup(oid!);
          if (!(ts.flags & TSF_CAN_TRIGGER)) return;
          this.fw.scheduler.del(ts.expireTimer);
          ts.expireTimer.waketime = u32(clock);
          this.fw.scheduler.add(ts.expireTimer);
        },
      },
      {
        format: "trsync_trigger oid=%c reason=%c",
        run: ([oid, reason]) => {
          const ts = this.lookup(oid!);
          this.doTrigger(ts, u8(reason));
          this.fw.scheduler.del(ts.reportTimer);
          this.fw.scheduler.del(ts.expireTimer);
          ts.flags = 0;
          this.fw.sendf(STATE, [u8(oid), 0, ts.triggerReason, 0]);
        },
      },
    ];
  }

  lookup(oid: ArgValue | undefined): Trsync {
    return this.fw.oids.lookup<Trsync>(u8(oid), TYPE);
  }

  addSignal(ts: Trsync, sig: TrsyncSignal, func: (reason: number) => void): void {
    if (sig.func) this.fw.shutdown("Can't add signal that is already active");
    sig.func = func;
    ts.signals.unshift(sig);
  }

  /** Fires the trigger once: stops every registered signal and schedules a report. */
  doTrigger(ts: Trsync, reason: number): void {
    if (!(ts.flags & TSF_CAN_TRIGGER)) return;
    ts.triggerReason = reason;
    ts.flags = (ts.flags & ~TSF_CAN_TRIGGER) | TSF_REPORT;
    while (ts.signals.length) {
      const sig = ts.signals.shift()!;
      const func = sig.func!;
      sig.func = null;
      func(reason);
    }
    this.fw.wakeTask(this);
  }

  task(): void {
    for (const [oid, ts] of this.fw.oids.ofType<Trsync>(TYPE)) {
      if (!(ts.flags & TSF_REPORT)) continue;
      const flags = ts.flags;
      ts.flags = flags & ~TSF_REPORT;
      this.fw.sendf(STATE, [oid, flags & TSF_CAN_TRIGGER ? 1 : 0, ts.triggerReason, this.fw.now32]);
    }
  }

  onShutdown(): void {
    for (const [, ts] of this.fw.oids.ofType<Trsync>(TYPE)) this.clear(ts);
  }

  private config(oid: number): void {
    const ts: Trsync = {
      reportTimer: createTimer((t) => {
        ts.flags |= TSF_REPORT;
        this.fw.wakeTask(this);
        t.waketime = (t.waketime + ts.reportTicks) >>> 0;
        return SF_RESCHEDULE;
      }),
      expireTimer: createTimer(() => {
        this.doTrigger(ts, ts.expireReason);
        return SF_DONE;
      }),
      reportTicks: 0,
      signals: [],
      flags: 0,
      triggerReason: 0,
      expireReason: 0,
    };
    this.fw.oids.alloc(oid, TYPE, ts);
  }

  private start(ts: Trsync, reportClock: number, reportTicks: number, expireReason: number): void {
    this.clear(ts);
    ts.flags = TSF_CAN_TRIGGER;
    ts.reportTimer.waketime = reportClock;
    ts.reportTicks = reportTicks;
    if (reportTicks) this.fw.scheduler.add(ts.reportTimer);
    ts.expireReason = expireReason;
  }

  private clear(ts: Trsync): void {
    this.fw.scheduler.del(ts.reportTimer);
    this.fw.scheduler.del(ts.expireTimer);
    for (const sig of ts.signals) sig.func = null;
    ts.signals = [];
    ts.flags = ts.triggerReason = ts.expireReason = 0;
  }
}
