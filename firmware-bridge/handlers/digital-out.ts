// Digital outputs with scheduled updates and software PWM (firmware gpiocmds.c), including the
// max_duration safety limit that shuts the MCU down when the host stops refreshing a pin.

import type { CommandDecl, Firmware, FirmwareModule } from "../firmware.ts";
import { createTimer, SF_DONE, SF_RESCHEDULE, timerIsBefore, type Timer, type TimerResult } from "../scheduler.ts";
import { u32, u8 } from "./args.ts";

const DF_ON = 1 << 0;
const DF_TOGGLING = 1 << 1;
const DF_CHECK_END = 1 << 2;
const DF_DEFAULT_ON = 1 << 4;

interface DigitalMove {
  waketime: number;
  onDuration: number;
}

interface DigitalOut {
  timer: Timer;
  loading: boolean; // timer runs the load event (else the soft-PWM toggle event)
  onDuration: number;
  offDuration: number;
  endTime: number;
  pin: number;
  level: number;
  maxDuration: number;
  cycleTime: number;
  queue: DigitalMove[];
  flags: number;
}

const TYPE = "digital_out";

export class DigitalOutModule implements FirmwareModule {
  readonly commands: CommandDecl[];

  constructor(private readonly fw: Firmware) {
    this.commands = [
      {
        format: "config_digital_out oid=%c pin=%u value=%c default_value=%c max_duration=%u",
        run: ([oid, pin, value, defaultValue, maxDuration]) => {
          this.fw.checkPin(u32(pin));
          const on = u8(value) ? 1 : 0;
          this.fw.hardware.setOutput(u32(pin), on, this.fw.boardTime);
          const d: DigitalOut = {
            timer: createTimer(() => (d.loading ? this.loadEvent(d) : this.toggleEvent(d))),
            loading: true,
            onDuration: 0, offDuration: 0, endTime: 0,
            pin: u32(pin), level: on,
            maxDuration: u32(maxDuration), cycleTime: 0, queue: [],
            flags: (on ? DF_ON : 0) | (u8(defaultValue) ? DF_DEFAULT_ON : 0),
          };
          this.fw.oids.alloc(u8(oid), TYPE, d);
          this.fw.moves.setupQueue();
        },
      },
      {
        format: "set_digital_out_pwm_cycle oid=%c cycle_ticks=%u",
        run: ([oid, cycle]) => {
          const d = this.lookup(oid);
          if (d.queue.length) this.fw.shutdown("Can not set soft pwm cycle ticks while updates pending");
          d.cycleTime = u32(cycle);
        },
      },
      {
        format: "queue_digital_out oid=%c clock=%u on_ticks=%u",
        run: ([oid, clock, onTicks]) => this.queue(this.lookup(oid), u32(clock), u32(onTicks)),
      },
      {
        format: "update_digital_out oid=%c value=%c",
        run: ([oid, value]) => this.update(this.lookup(oid), u8(value)),
      },
      {
        format: "set_digital_out pin=%u value=%c",
        run: ([pin, value]) => {
          this.fw.checkPin(u32(pin));
          this.fw.hardware.setOutput(u32(pin), u8(value) ? 1 : 0, this.fw.boardTime);
        },
      },
    ];
  }

  onShutdown(): void {
    for (const [, d] of this.fw.oids.ofType<DigitalOut>(TYPE)) {
      this.write(d, d.flags & DF_DEFAULT_ON ? 1 : 0);
      d.flags = d.flags & DF_DEFAULT_ON ? DF_ON | DF_DEFAULT_ON : 0;
      d.queue.length = 0;
    }
  }

  private lookup(oid: unknown): DigitalOut {
    return this.fw.oids.lookup<DigitalOut>(u8(oid as number), TYPE);
  }

  private write(d: DigitalOut, level: number): void {
    d.level = level;
    this.fw.hardware.setOutput(d.pin, level, this.fw.boardTime);
  }

  private queue(d: DigitalOut, time: number, onDuration: number): void {
    this.fw.moves.alloc();
    d.queue.push({ waketime: time, onDuration });
    if (d.queue.length > 1) return;
    const flags = d.flags;
    if (flags & DF_CHECK_END && timerIsBefore(d.endTime, time))
      this.fw.shutdown("Scheduled digital out event will exceed max_duration");
    d.endTime = time;
    d.flags = flags | DF_CHECK_END;
    if (flags & DF_TOGGLING && timerIsBefore(d.timer.waketime, time)) return; // the toggle event loads it when due
    this.fw.scheduler.del(d.timer);
    d.timer.waketime = time;
    d.loading = true;
    this.fw.scheduler.add(d.timer);
  }

  private update(d: DigitalOut, value: number): void {
    this.fw.scheduler.del(d.timer);
    if (d.queue.length) this.fw.shutdown("update_digital_out not valid with active queue");
    const onFlag = value ? DF_ON : 0;
    const flags = d.flags;
    this.write(d, onFlag);
    if (!onFlag !== !(flags & DF_DEFAULT_ON) && d.maxDuration) {
      d.timer.waketime = d.endTime = (this.fw.now32 + d.maxDuration) >>> 0;
      d.loading = true;
      d.flags = (flags & DF_DEFAULT_ON) | onFlag | DF_CHECK_END;
      this.fw.scheduler.add(d.timer);
    } else {
      d.flags = (flags & DF_DEFAULT_ON) | onFlag;
    }
  }

  private toggleEvent(d: DigitalOut): TimerResult {
    this.write(d, d.level ^ 1);
    d.flags ^= DF_ON;
    let waketime = (d.timer.waketime + (d.flags & DF_ON ? d.onDuration : d.offDuration)) >>> 0;
    if (d.flags & DF_CHECK_END && !timerIsBefore(waketime, d.endTime)) {
      d.loading = true; // end of this pulse train: the next event loads the next setting
      waketime = d.endTime;
    }
    d.timer.waketime = waketime;
    return SF_RESCHEDULE;
  }

  private loadEvent(d: DigitalOut): TimerResult {
    const m = d.queue.shift();
    if (!m) this.fw.shutdown("Missed scheduling of next digital out event");
    this.fw.moves.free();
    const onDuration = m.onDuration;
    let flags = onDuration ? DF_ON : 0;
    this.write(d, flags);
    let endTime = 0;
    if (!flags || onDuration >= d.cycleTime) {
      // steadily on or off: only a departure from the default value is time limited
      if (!flags !== !(d.flags & DF_DEFAULT_ON) && d.maxDuration) {
        endTime = (d.timer.waketime + d.maxDuration) >>> 0;
        flags |= DF_CHECK_END;
      }
    } else {
      flags |= DF_TOGGLING;
      if (d.maxDuration) {
        endTime = (d.timer.waketime + d.maxDuration) >>> 0;
        flags |= DF_CHECK_END;
      }
    }
    const next = d.queue[0];
    if (next) {
      if (flags & DF_CHECK_END && timerIsBefore(endTime, next.waketime))
        this.fw.shutdown("Scheduled digital out event will exceed max_duration");
      endTime = next.waketime;
      flags |= DF_CHECK_END;
    }
    d.endTime = endTime;
    d.flags = flags | (d.flags & DF_DEFAULT_ON);
    if (!(flags & DF_TOGGLING)) {
      if (!(flags & DF_CHECK_END)) return SF_DONE;
      d.timer.waketime = endTime;
      return SF_RESCHEDULE;
    }
    const waketime = (d.timer.waketime + onDuration) >>> 0;
    if (flags & DF_CHECK_END && !timerIsBefore(waketime, endTime)) {
      d.timer.waketime = endTime;
      return SF_RESCHEDULE;
    }
    d.loading = false;
    d.timer.waketime = waketime;
    d.onDuration = onDuration;
    d.offDuration = (d.cycleTime - onDuration) >>> 0;
    return SF_RESCHEDULE;
  }
}
