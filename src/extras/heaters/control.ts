// Heater control algorithms. Each gets every temperature reading and answers with a PWM value through
// the output callback; check_busy tells M109/M190 whether the heater is still settling.

/** What a control algorithm drives: a PWM output and, for autotune, the heater's target. */
export interface ControlOutput {
  setPwm(readTime: number, value: number): void;
  alterTarget(target: number): void;
  readonly maxPower: number;
  readonly pwmDelay: number;
}

export interface HeaterControl {
  temperatureUpdate(readTime: number, temp: number, target: number): void;
  checkBusy(eventTime: number, smoothedTemp: number, target: number): boolean;
}

/** Klipper's PID gains are given in PWM units of 0..255; internally PWM is 0..1. */
export const PID_PARAM_BASE = 255;
/** Temperature assumed before the first reading (keeps the first derivative sane). */
export const AMBIENT_TEMP = 25;

/** Watermark (bang-bang): full power below target − max_delta, off above target + max_delta. */
export class ControlWatermark implements HeaterControl {
  private heating = false;

  constructor(private readonly out: ControlOutput, readonly maxDelta: number) {}

  temperatureUpdate(readTime: number, temp: number, target: number): void {
    if (this.heating && temp >= target + this.maxDelta) this.heating = false;
    else if (!this.heating && temp <= target - this.maxDelta) this.heating = true;
    this.out.setPwm(readTime, this.heating ? this.out.maxPower : 0);
  }

  checkBusy(_eventTime: number, smoothedTemp: number, target: number): boolean {
    return smoothedTemp < target - this.maxDelta;
  }
}

/** Settled when within this many degrees of target ... */
const PID_SETTLE_DELTA = 1;
/** ... and changing slower than this many degrees per second. */
const PID_SETTLE_SLOPE = 0.1;

export interface PidGains { kp: number; ki: number; kd: number }

/**
 * PID on the measured temperature. The derivative is low-pass filtered over `minDerivTime` (the
 * heater's smooth_time) so that sensor noise on closely spaced readings does not dominate. The integral
 * is clamped to [0, max_power/Ki] and frozen while the output saturates (anti-windup).
 */
export class ControlPid implements HeaterControl {
  private readonly kp: number;
  private readonly ki: number;
  private readonly kd: number;
  private readonly integMax: number;
  private prevTemp = AMBIENT_TEMP;
  private prevTime = 0;
  private prevDeriv = 0;
  private prevInteg = 0;

  /** Gains in Klipper's config units (pid_Kp, pid_Ki, pid_Kd). */
  constructor(private readonly out: ControlOutput, gains: PidGains, private readonly minDerivTime: number) {
    this.kp = gains.kp / PID_PARAM_BASE;
    this.ki = gains.ki / PID_PARAM_BASE;
    this.kd = gains.kd / PID_PARAM_BASE;
    this.integMax = this.ki ? out.maxPower / this.ki : 0;
  }

  temperatureUpdate(readTime: number, temp: number, target: number): void {
    const dt = readTime - this.prevTime;
    const dTemp = temp - this.prevTemp;
    const deriv = dt >= this.minDerivTime
      ? dTemp / dt
      : (this.prevDeriv * (this.minDerivTime - dt) + dTemp) / this.minDerivTime;
    const err = target - temp;
    const integ = Math.max(0, Math.min(this.integMax, this.prevInteg + err * dt));
    const co = this.kp * err + this.ki * integ - this.kd * deriv;
    const bounded = Math.max(0, Math.min(this.out.maxPower, co));
    this.out.setPwm(readTime, bounded);
    this.prevTemp = temp;
    this.prevTime = readTime;
    this.prevDeriv = deriv;
    if (co === bounded) this.prevInteg = integ;
  }

  checkBusy(_eventTime: number, smoothedTemp: number, target: number): boolean {
    return Math.abs(target - smoothedTemp) > PID_SETTLE_DELTA || Math.abs(this.prevDeriv) > PID_SETTLE_SLOPE;
  }
}
