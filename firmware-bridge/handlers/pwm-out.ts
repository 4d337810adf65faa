// Hardware PWM outputs (firmware pwmcmds.c): scheduled duty updates with a max_duration limit.
// The simulated pin carries the duty value/PWM_MAX.

import { PWM_MAX, type CommandDecl, type Firmware, type FirmwareModule } from "../firmware.ts";
import { createTimer, SF_DONE, SF_RESCHEDULE, timerIsBefore, type Timer, type TimerResult } from "../scheduler.ts";
import { u16, u32, u8 } from "./args.ts";

interface PwmMove {
  waketime: number;
  value: number;
}

interface PwmOut {
  timer: Timer;
  ending: boolean; // timer is the max_duration deadline (firmware pwm_end_event)
  pin: number;
  maxDuration: number;
  defaultValue: number;
  queue: PwmMove[];
}

const TYPE = "pwm_out";

export class PwmOutModule implements FirmwareModule {
  readonly commands: CommandDecl[];

  constructor(private readonly fw: Firmware) {
    this.commands = [
      {
        format: "config_pwm_out oid=%c pin=%u cycle_ticks=%u value=%hu default_value=%hu max_duration=%u",
        run: ([oid, pin, , value, defaultValue, maxDuration]) => {
          this.fw.checkPin(u32(pin));
          this.write(u32(pin), u16(value));
          const p: PwmOut = {
            timer: createTimer(() => (p.ending ? this.fw.shutdown("Missed scheduling of next hard pwm event") : this.event(p))),
            ending: false,
            pin: u32(pin),
            maxDuration: u32(maxDuration),
            defaultValue: u16(defaultValue),
            queue: [],
          };
          this.fw.oids.alloc(u8(oid), TYPE, p);
          this.fw.moves.setupQueue();
        },
      },
      {
        format: "queue_pwm_out oid=%c clock=%u value=%hu",
        run: ([oid, clock, value]) => {
          const p = this.fw.oids.lookup<PwmOut>(u8(oid), TYPE);
          this.fw.moves.alloc();
          p.queue.push({ waketime: u32(clock), value: u16(value) });
          if (p.queue.length > 1) return;
          this.fw.scheduler.del(p.timer);
          if (p.ending && timerIsBefore(p.timer.waketime, u32(clock)))
            this.fw.shutdown("Scheduled pwm event will exceed max_duration");
          p.ending = false;
          p.timer.waketime = u32(clock);
          this.fw.scheduler.add(p.timer);
        },
      },
      {
        format: "set_pwm_out pin=%u cycle_ticks=%u value=%hu",
        run: ([pin, , value]) => {
          this.fw.checkPin(u32(pin));
          this.write(u32(pin), u16(value));
        },
      },
    ];
  }

  onShutdown(): void {
    for (const [, p] of this.fw.oids.ofType<PwmOut>(TYPE)) {
      this.write(p.pin, p.defaultValue);
      p.ending = false;
      p.queue.length = 0;
    }
  }

  private write(pin: number, value: number): void {
    this.fw.hardware.setDuty(pin, Math.min(value, PWM_MAX) / PWM_MAX, this.fw.boardTime);
  }

  private event(p: PwmOut): TimerResult {
    const m = p.queue.shift()!;
    this.fw.moves.free();
    this.write(p.pin, m.value);
    const next = p.queue[0];
    if (!next) {
      if (m.value === p.defaultValue || !p.maxDuration) return SF_DONE;
      p.timer.waketime = (p.timer.waketime + p.maxDuration) >>> 0;
      p.ending = true;
      return SF_RESCHEDULE;
    }
    if (m.value !== p.defaultValue && p.maxDuration && timerIsBefore((p.timer.waketime + p.maxDuration) >>> 0, next.waketime))
      this.fw.shutdown("Scheduled pwm event will exceed max_duration");
    p.timer.waketime = next.waketime;
    return SF_RESCHEDULE;
  }
}
