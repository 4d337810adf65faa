// Endstops (firmware endstop.c): sample a pin on a timer while homing, oversample to confirm a
// match, then trigger the trsync that stops the homing steppers.

import type { CommandDecl, Firmware, FirmwareModule } from "../firmware.ts";
import { createTimer, SF_DONE, SF_RESCHEDULE, type Timer, type TimerResult } from "../scheduler.ts";
import { i8, u32, u8 } from "./args.ts";
import type { Trsync, TrsyncModule } from "./trsync.ts";

const ESF_PIN_HIGH = 1 << 0;
const ESF_HOMING = 1 << 1;

interface Endstop {
  timer: Timer;
  pin: number;
  pullUp: boolean;
  restTime: number;
  sampleTime: number;
  nextwake: number;
  ts: Trsync | null;
  flags: number;
  sampleCount: number;
  triggerCount: number;
  triggerReason: number;
  oversampling: boolean;
}

const TYPE = "endstop";
const STATE = "endstop_state oid=%c homing=%c next_clock=%u pin_value=%c";

export class EndstopModule implements FirmwareModule {
  readonly responses = [STATE];
  readonly commands: CommandDecl[];

  constructor(private readonly fw: Firmware, private readonly trsync: TrsyncModule) {
    this.commands = [
      {
        format: "config_endstop oid=%c pin=%c pull_up=%c",
        run: ([oid, pin, pullUp]) => {
          this.fw.checkPin(u8(pin));
          const e: Endstop = {
            timer: createTimer(() => this.event(e)),
            pin: u8(pin), pullUp: i8(pullUp) > 0, // -1 asks for a pull-down
            restTime: 0, sampleTime: 0, nextwake: 0, ts: null, flags: 0,
            sampleCount: 0, triggerCount: 0, triggerReason: 0, oversampling: false,
          };
          this.fw.oids.alloc(u8(oid), TYPE, e);
        },
      },
      {
        format: "endstop_home oid=%c clock=%u sample_ticks=%u sample_count=%c rest_ticks=%u pin_value=%c trsync_oid=%c trigger_reason=%c",
        run: ([oid, clock, sampleTicks, sampleCount, restTicks, pinValue, tsOid, reason]) => {
          const e = this.lookup(oid);
          this.fw.scheduler.del(e.timer);
          e.timer.waketime = u32(clock);
          e.sampleTime = u32(sampleTicks);
          e.sampleCount = u8(sampleCount);
          if (!e.sampleCount) {
            e.ts = null;
            e.flags = 0;
            return;
          }
          e.restTime = u32(restTicks);
          e.oversampling = false;
          e.triggerCount = e.sampleCount;
          e.flags = ESF_HOMING | (u8(pinValue) ? ESF_PIN_HIGH : 0);
          e.ts = this.trsync.lookup(tsOid);
          e.triggerReason = u8(reason);
          this.fw.scheduler.add(e.timer);
        },
      },
      {
        format: "endstop_query_state oid=%c",
        run: ([oid]) => {
          const e = this.lookup(oid);
          this.fw.sendf(STATE, [u8(oid), e.flags & ESF_HOMING ? 1 : 0, e.nextwake, this.read(e)]);
        },
      },
    ];
  }

  private lookup(oid: unknown): Endstop {
    return this.fw.oids.lookup<Endstop>(oid as number, TYPE);
  }

  private read(e: Endstop): number {
    return this.fw.hardware.readInput(e.pin, e.pullUp);
  }

  private matches(e: Endstop): boolean {
    return (this.read(e) ? 1 : 0) === (e.flags & ESF_PIN_HIGH ? 1 : 0);
  }

  private event(e: Endstop): TimerResult {
    if (!e.oversampling) {
      const nextwake = (e.timer.waketime + e.restTime) >>> 0;
      if (!this.matches(e)) {
        e.timer.waketime = nextwake;
        return SF_RESCHEDULE;
      }
      e.nextwake = nextwake;
      e.oversampling = true;
    }
    if (!this.matches(e)) {
      // bounced: back to regular sampling
      e.oversampling = false;
      e.timer.waketime = e.nextwake;
      e.triggerCount = e.sampleCount;
      return SF_RESCHEDULE;
    }
    const count = e.triggerCount - 1;
    if (!count) {
      this.trsync.doTrigger(e.ts!, e.triggerReason);
      return SF_DONE;
    }
    e.triggerCount = count;
    e.timer.waketime = (e.timer.waketime + e.sampleTime) >>> 0;
    return SF_RESCHEDULE;
  }
}
