// One PWM-controlled heater: sensor readings in, control algorithm, PWM out. Keeps the heater safe on
// the host side too: no power unless the host main loop has checked in recently (stats()), no power
// after a shutdown, and a reading outside min_temp..max_temp shuts the printer down.
import { type ControlOutput, ControlPid, ControlWatermark, type HeaterControl } from "./control.ts";
import type { TemperatureSensor } from "./sensor.ts";

/** The MCU refuses to keep a heater pin on longer than this without a fresh command. */
export const MAX_HEAT_TIME = 3.0;
/** Power is only applied while the host main loop has reported within this many seconds. */
const MAX_MAINTHREAD_TIME = 5.0;
/** A reading older than this counts as no reading (reported temperature 0). */
const QUELL_STALE_TIME = 7.0;
/** PWM changes smaller than this fraction of max_power are not worth a command. */
const MIN_PWM_CHANGE_RATIO = 0.05;
/** Consecutive out-of-range readings before the host shuts down (same count as the MCU check). */
const HOST_RANGE_CHECK_COUNT = 4;

export type ControlConfig = { kind: "watermark"; maxDelta: number } | { kind: "pid"; kp: number; ki: number; kd: number };

export interface HeaterOptions {
  /** Full config section name ("extruder", "heater_generic chamber"). */
  name: string;
  minTemp: number;
  maxTemp: number;
  minExtrudeTemp: number;
  maxPower: number;
  smoothTime: number;
  control: ControlConfig;
}

/** The heater's PWM output (an McuPwm, or a [multi_pin] group). */
export interface HeaterPwm {
  setPwm(printTime: number, value: number): void;
  readonly mcu: { estimatedPrintTime(hostTime: number): number };
}

/** What the heater needs from the printer. */
export interface HeaterHost {
  isShutdown(): boolean;
  invokeShutdown(msg: string): void;
  /** Batch mode: nothing heats, so extrusion is always allowed. */
  readonly isFileOutput: boolean;
  /** Error for a bad command (a GCodeError in the running printer). */
  commandError(msg: string): Error;
}

export class Heater implements ControlOutput {
  readonly name: string;
  readonly shortName: string;
  readonly minTemp: number;
  readonly maxTemp: number;
  readonly minExtrudeTemp: number;
  readonly maxPower: number;
  readonly smoothTime: number;
  readonly pwmDelay: number;
  private readonly minPwmChange: number;
  canExtrude: boolean;
  control: HeaterControl;
  private verifyMainthreadTime = -999;
  lastTemp = 0;
  smoothedTemp = 0;
  targetTemp = 0;
  lastTempTime = 0;
  private nextPwmTime = 0;
  lastPwmValue = 0;
  private outOfRangeCount = 0;

  constructor(opts: HeaterOptions, readonly sensor: TemperatureSensor, private readonly pwm: HeaterPwm, private readonly host: HeaterHost) {
    this.name = opts.name;
    this.shortName = opts.name.split(/\s+/).pop()!;
    this.minTemp = opts.minTemp;
    this.maxTemp = opts.maxTemp;
    this.minExtrudeTemp = opts.minExtrudeTemp;
    this.maxPower = opts.maxPower;
    this.smoothTime = opts.smoothTime;
    this.minPwmChange = opts.maxPower * MIN_PWM_CHANGE_RATIO;
    this.pwmDelay = sensor.getReportTimeDelta();
    this.canExtrude = opts.minExtrudeTemp <= 0 || host.isFileOutput;
    sensor.setupMinmax(opts.minTemp, opts.maxTemp);
    sensor.setupCallback((t, temp) => this.temperatureCallback(t, temp));
    this.control = opts.control.kind === "pid"
      ? new ControlPid(this, opts.control, opts.smoothTime)
      : new ControlWatermark(this, opts.control.maxDelta);
  }

  /** Batch output: nothing really heats, so nobody waits for it. */
  get isFileOutput(): boolean {
    return this.host.isFileOutput;
  }

  /** Called by the control algorithm with the power it wants. */
  setPwm(readTime: number, value: number): void {
    if (this.targetTemp <= 0 || readTime > this.verifyMainthreadTime) value = 0;
    // Skip insignificant changes, but refresh before the MCU's max_duration runs out.
    if ((readTime < this.nextPwmTime || !this.lastPwmValue) && Math.abs(value - this.lastPwmValue) < this.minPwmChange) return;
    const pwmTime = readTime + this.pwmDelay;
    this.nextPwmTime = pwmTime + MAX_HEAT_TIME - (3 * this.pwmDelay + 0.001);
    this.lastPwmValue = value;
    this.pwm.setPwm(pwmTime, value);
  }

  temperatureCallback(readTime: number, temp: number): void {
    const dt = readTime - this.lastTempTime;
    this.lastTemp = temp;
    this.lastTempTime = readTime;
    if (!this.checkRange(temp)) return;
    this.control.temperatureUpdate(readTime, temp, this.targetTemp);
    this.smoothedTemp += (temp - this.smoothedTemp) * Math.min(dt / this.smoothTime, 1);
    this.canExtrude = this.smoothedTemp >= this.minExtrudeTemp || this.host.isFileOutput;
  }

  /** Host-side copy of the MCU's range check; false once the printer was shut down for it. */
  private checkRange(temp: number): boolean {
    if (temp >= this.minTemp && temp <= this.maxTemp) {
      this.outOfRangeCount = 0;
      return true;
    }
    if (++this.outOfRangeCount < HOST_RANGE_CHECK_COUNT || this.host.isShutdown()) return true;
    this.host.invokeShutdown(
      `Heater ${this.shortName} temperature ${temp.toFixed(1)} outside of min_temp/max_temp ${this.minTemp.toFixed(1)}:${this.maxTemp.toFixed(1)}`,
    );
    return false;
  }

  /** On printer shutdown: target off and no further power. */
  handleShutdown(eventTime: number): void {
    this.verifyMainthreadTime = -999;
    this.targetTemp = 0;
    if (this.lastPwmValue) {
      this.lastPwmValue = 0;
      try {
        this.pwm.setPwm(this.pwm.mcu.estimatedPrintTime(eventTime) + this.pwmDelay, 0);
      } catch {
        // The MCU link may already be gone; the MCU drops the pin to its shutdown value by itself.
      }
    }
  }

  setTemp(degrees: number): void {
    if (degrees && (degrees < this.minTemp || degrees > this.maxTemp))
      throw this.host.commandError(
        `Requested temperature (${degrees.toFixed(1)}) out of range (${this.minTemp.toFixed(1)}:${this.maxTemp.toFixed(1)})`,
      );
    this.targetTemp = degrees;
  }

  /** (smoothed temperature, target); temperature 0 when the sensor went silent. */
  getTemp(eventTime: number): [number, number] {
    const quell = this.pwm.mcu.estimatedPrintTime(eventTime) - QUELL_STALE_TIME;
    if (this.lastTempTime < quell) return [0, this.targetTemp];
    return [this.smoothedTemp, this.targetTemp];
  }

  checkBusy(eventTime: number): boolean {
    return this.control.checkBusy(eventTime, this.smoothedTemp, this.targetTemp);
  }

  /** Swap the control algorithm (PID_CALIBRATE); the target is reset. */
  setControl(control: HeaterControl): HeaterControl {
    const old = this.control;
    this.control = control;
    this.targetTemp = 0;
    return old;
  }

  alterTarget(target: number): void {
    if (target) target = Math.max(this.minTemp, Math.min(this.maxTemp, target));
    this.targetTemp = target;
  }

  /** Periodic main-loop check-in (once a second): keeps heater power allowed. */
  stats(eventTime: number): { active: boolean; text: string } {
    if (!this.host.isShutdown())
      this.verifyMainthreadTime = this.pwm.mcu.estimatedPrintTime(eventTime) + MAX_MAINTHREAD_TIME;
    return {
      active: !!this.targetTemp || this.lastTemp > 50,
      text: `${this.shortName}: target=${this.targetTemp.toFixed(0)} temp=${this.lastTemp.toFixed(1)} pwm=${this.lastPwmValue.toFixed(3)}`,
    };
  }

  getStatus(): { temperature: number; target: number; power: number } {
    return { temperature: round2(this.smoothedTemp), target: this.targetTemp, power: this.lastPwmValue };
  }
}

export function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
