// Relay autotune for PID_CALIBRATE: the heater is switched fully on below the target and off above
// target − 5 °C, which makes the temperature oscillate. From the oscillation's amplitude and period
// (Åström–Hägglund relay method) we get the ultimate gain Ku and period Tu, and from those the
// classic Ziegler–Nichols PID gains.
import { type ControlOutput, type HeaterControl, PID_PARAM_BASE, type PidGains } from "./control.ts";

/** The relay switches off at the target and back on this many degrees below it. */
export const TUNE_PID_DELTA = 5;
/** Peaks (maxima and minima) to collect before the result is taken. */
const PEAKS_NEEDED = 12;

export class ControlAutoTune implements HeaterControl {
  private heating = false;
  private peak = 0;
  private peakTime = 0;
  readonly peaks: Array<readonly [temp: number, time: number]> = [];
  private lastPwm = 0;
  readonly pwmSamples: Array<readonly [time: number, value: number]> = [];
  readonly tempSamples: Array<readonly [time: number, temp: number]> = [];

  constructor(private readonly out: ControlOutput, readonly calibrateTemp: number) {}

  private setPwm(readTime: number, value: number): void {
    if (value !== this.lastPwm) {
      this.pwmSamples.push([readTime + this.out.pwmDelay, value]);
      this.lastPwm = value;
    }
    this.out.setPwm(readTime, value);
  }

  temperatureUpdate(readTime: number, temp: number, target: number): void {
    this.tempSamples.push([readTime, temp]);
    if (this.heating && temp >= target) {
      this.heating = false;
      this.recordPeak();
      this.out.alterTarget(this.calibrateTemp - TUNE_PID_DELTA);
    } else if (!this.heating && temp <= target) {
      this.heating = true;
      this.recordPeak();
      this.out.alterTarget(this.calibrateTemp);
    }
    // While heating we track the minimum the temperature dips to, while cooling the maximum.
    if (this.heating) {
      this.setPwm(readTime, this.out.maxPower);
      if (temp < this.peak) [this.peak, this.peakTime] = [temp, readTime];
    } else {
      this.setPwm(readTime, 0);
      if (temp > this.peak) [this.peak, this.peakTime] = [temp, readTime];
    }
  }

  checkBusy(): boolean {
    return this.heating || this.peaks.length < PEAKS_NEEDED;
  }

  /** True once enough oscillation was recorded for a result. */
  get isComplete(): boolean {
    return !this.checkBusy();
  }

  private recordPeak(): void {
    this.peaks.push([this.peak, this.peakTime]);
    this.peak = this.heating ? 9999999 : -9999999;
  }

  /** Gains (config units) from the half-oscillation ending at peak `pos`. */
  gainsAt(pos: number): PidGains {
    const tempDiff = this.peaks[pos]![0] - this.peaks[pos - 1]![0];
    const period = this.peaks[pos]![1] - this.peaks[pos - 2]![1];
    const amplitude = 0.5 * Math.abs(tempDiff);
    const ku = (4 * this.out.maxPower) / (Math.PI * amplitude);
    const ti = 0.5 * period;
    const td = 0.125 * period;
    const kp = 0.6 * ku * PID_PARAM_BASE;
    return { kp, ki: kp / ti, kd: kp * td };
  }

  /** Gains from the cycle of median length, skipping the first peaks (still settling). */
  finalGains(): PidGains {
    const cycles: Array<[number, number]> = [];
    for (let pos = 4; pos < this.peaks.length; pos++) cycles.push([this.peaks[pos]![1] - this.peaks[pos - 2]![1], pos]);
    if (!cycles.length) throw new Error("pid_calibrate: not enough oscillation recorded");
    cycles.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    return this.gainsAt(cycles[cycles.length >> 1]![1]);
  }
}
