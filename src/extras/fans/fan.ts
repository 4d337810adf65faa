// A PWM fan: speed requests go through a RequestQueue; max_power scales, off_below cuts slow speeds,
// kick_start_time runs the fan at full power briefly when starting or jumping up, and an optional
// enable pin follows whether the fan is on.
import type { DigitalOutput, PwmOutput } from "../../core/mcu-pins/output-types.ts";
import type { RequestResult } from "../outputs/request-queue.ts";

export interface FanOptions {
  maxPower: number;
  kickStartTime: number;
  offBelow: number;
  cycleTime: number;
  hardwarePwm: boolean;
  shutdownSpeed: number;
}

/** Speed logic of a fan, independent of how requests are scheduled. */
export class FanOutput {
  /** Power currently on the pin (max_power during a kick start). */
  lastFanValue = 0;
  /** Power requested (what get_status reports as speed). */
  lastReqValue = 0;

  constructor(
    readonly opts: FanOptions,
    readonly pwm: PwmOutput,
    readonly enablePin: DigitalOutput | null,
    private readonly tachometer: { rpm(): number } | null = null,
  ) {
    pwm.setupMaxDuration(0);
    pwm.setupCycleTime(opts.cycleTime, opts.hardwarePwm);
    pwm.setupStartValue(0, Math.max(0, Math.min(opts.maxPower, opts.shutdownSpeed)));
    enablePin?.setupMaxDuration(0);
  }

  /** RequestQueue callback: apply a speed (0..1) at a print time. */
  applySpeed(printTime: number, speed: number): RequestResult {
    const { maxPower, offBelow, kickStartTime } = this.opts;
    if (speed < offBelow) speed = 0;
    const value = Math.max(0, Math.min(maxPower, speed * maxPower));
    if (value === this.lastFanValue) return ["discard", 0];
    if (this.enablePin) {
      if (value > 0 && this.lastFanValue === 0) this.enablePin.setDigital(printTime, 1);
      else if (value === 0 && this.lastFanValue > 0) this.enablePin.setDigital(printTime, 0);
    }
    if (value && kickStartTime && (!this.lastFanValue || value - this.lastFanValue > 0.5)) {
      // Full power first so the fan reliably spins up; the requested value follows after the kick.
      this.lastReqValue = value;
      this.lastFanValue = maxPower;
      this.pwm.setPwm(printTime, maxPower);
      return ["repeat", printTime + kickStartTime];
    }
    this.lastFanValue = this.lastReqValue = value;
    this.pwm.setPwm(printTime, value);
    return undefined;
  }

  getStatus(): { speed: number; rpm: number | null } {
    return { speed: this.lastReqValue, rpm: this.tachometer ? this.tachometer.rpm() : null };
  }
}
