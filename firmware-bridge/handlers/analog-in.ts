// ADC inputs (firmware adccmds.c): periodic oversampled readings reported in analog_in_state,
// with the min/max range check that shuts the MCU down ("ADC out of range"), e.g. on a broken
// thermistor or a runaway heater. Sampling keeps running after a shutdown, as in firmware.

import type { CommandDecl, Firmware, FirmwareModule } from "../firmware.ts";
import { createTimer, SF_RESCHEDULE, type Timer, type TimerResult } from "../scheduler.ts";
import { u16, u32, u8 } from "./args.ts";

interface AnalogIn {
  timer: Timer;
  pin: number;
  restTime: number;
  sampleTime: number;
  nextBeginTime: number;
  value: number;
  minValue: number;
  maxValue: number;
  invalidCount: number;
  rangeCheckCount: number;
  state: number;
  sampleCount: number;
  bytesPerReport: number;
  data: number[];
}

const TYPE = "analog_in";
const STATE = "analog_in_state oid=%c next_clock=%u values=%*s";
const MAX_REPORT_BYTES = 48;

export class AnalogInModule implements FirmwareModule {
  readonly responses = [STATE];
  readonly commands: CommandDecl[];

  constructor(private readonly fw: Firmware) {
    this.commands = [
      {
        format: "config_analog_in oid=%c pin=%u",
        run: ([oid, pin]) => {
          this.fw.checkPin(u32(pin));
          const a: AnalogIn = {
            timer: createTimer(() => this.event(a)),
            pin: u32(pin),
            restTime: 0, sampleTime: 0, nextBeginTime: 0, value: 0, minValue: 0, maxValue: 0,
            invalidCount: 0, rangeCheckCount: 0, state: 1, sampleCount: 0, bytesPerReport: 0, data: [],
          };
          this.fw.oids.alloc(u8(oid), TYPE, a);
        },
      },
      {
        format:
          "query_analog_in oid=%c clock=%u sample_ticks=%u sample_count=%c rest_ticks=%u bytes_per_report=%c min_value=%hu max_value=%hu range_check_count=%c",
        run: ([oid, clock, sampleTicks, sampleCount, restTicks, bytesPerReport, minValue, maxValue, rangeCheckCount]) => {
          const a = this.fw.oids.lookup<AnalogIn>(u8(oid), TYPE);
          this.fw.scheduler.del(a.timer);
          a.nextBeginTime = a.timer.waketime = u32(clock);
          a.sampleTime = u32(sampleTicks);
          a.sampleCount = u8(sampleCount);
          a.state = a.sampleCount + 1;
          a.restTime = u32(restTicks);
          a.bytesPerReport = u8(bytesPerReport);
          a.data = [];
          a.minValue = u16(minValue);
          a.maxValue = u16(maxValue);
          a.rangeCheckCount = u8(rangeCheckCount);
          if (!a.sampleCount) return;
          if (a.bytesPerReport > MAX_REPORT_BYTES) this.fw.shutdown("Invalid analog_in bytes_per_report");
          this.fw.scheduler.add(a.timer);
        },
      },
    ];
  }

  onShutdown(): void {
    for (const [, a] of this.fw.oids.ofType<AnalogIn>(TYPE)) {
      if (!a.sampleCount) continue;
      a.state = a.sampleCount + 1;
      a.nextBeginTime = (a.nextBeginTime + a.restTime) >>> 0;
      a.timer.waketime = a.nextBeginTime;
      this.fw.scheduler.add(a.timer);
    }
  }

  task(): void {
    for (const [oid, a] of this.fw.oids.ofType<AnalogIn>(TYPE)) {
      if (a.state !== a.sampleCount) continue;
      a.state++;
      a.data.push(a.value & 0xff, a.value >> 8);
      if (a.data.length + 2 > a.bytesPerReport) {
        this.fw.sendf(STATE, [oid, a.nextBeginTime, Uint8Array.from(a.data)]);
        a.data = [];
      }
    }
  }

  private event(a: AnalogIn): TimerResult {
    let value = this.fw.hardware.readAdc(a.pin, this.fw.boardTime);
    let state = a.state;
    if (state >= a.sampleCount) state = 0;
    else value = (value + a.value) & 0xffff;
    a.value = value;
    a.state = state + 1;
    if (a.state < a.sampleCount) {
      a.timer.waketime = (a.timer.waketime + a.sampleTime) >>> 0;
      return SF_RESCHEDULE;
    }
    if (a.value >= a.minValue && a.value <= a.maxValue) {
      a.invalidCount = 0;
    } else if (++a.invalidCount >= a.rangeCheckCount) {
      a.invalidCount = 0;
      this.fw.tryShutdown("ADC out of range");
    }
    this.fw.wakeTask(this);
    a.nextBeginTime = (a.nextBeginTime + a.restTime) >>> 0;
    a.timer.waketime = a.nextBeginTime;
    return SF_RESCHEDULE;
  }
}
