// A PWM output on an MCU pin: software PWM (config_digital_out + set_digital_out_pwm_cycle, on_ticks
// per cycle) or hardware PWM (config_pwm_out, value out of PWM_MAX). The config lines, their order and
// the initial queued value match klippy's, so batch output can be compared line by line.
import { MAX_SCHEDULE_TICKS, type McuCommandQueue, type McuPort, PinConfigError } from "./mcu-port.ts";

export class McuPwm {
  private hardwarePwm = false;
  private cycleTime = 0.1;
  private maxDuration = 2.0;
  private startValue: number;
  private shutdownValue: number;
  private oid = -1;
  private lastClock = 0;
  private lastValue = 0;
  private pwmMax = 0;
  private queue: McuCommandQueue | null = null;

  constructor(readonly mcu: McuPort, readonly pin: string, readonly invert: boolean) {
    this.startValue = this.shutdownValue = invert ? 1 : 0;
    mcu.registerConfigCallback(() => this.buildConfig());
  }

  setupMaxDuration(seconds: number): void { this.maxDuration = seconds; }
  setupCycleTime(seconds: number, hardwarePwm = false): void {
    this.cycleTime = seconds;
    this.hardwarePwm = hardwarePwm;
  }
  setupStartValue(start: number, shutdown: number): void {
    if (this.invert) {
      start = 1 - start;
      shutdown = 1 - shutdown;
    }
    this.startValue = clamp01(start);
    this.shutdownValue = clamp01(shutdown);
    this.lastValue = this.startValue;
  }
  getCycleTime(): number { return this.cycleTime; }

  private buildConfig(): void {
    const mcu = this.mcu;
    if (this.maxDuration && this.startValue !== this.shutdownValue)
      throw new PinConfigError("Pin with max duration must have start value equal to shutdown value");
    this.queue = mcu.allocCommandQueue();
    const printTime = mcu.estimatedPrintTime(mcu.monotonic());
    this.lastClock = mcu.printTimeToClock(printTime + 0.2);
    const cycleTicks = mcu.secondsToClock(this.cycleTime);
    const durationTicks = mcu.secondsToClock(this.maxDuration);
    if (durationTicks > MAX_SCHEDULE_TICKS) throw new PinConfigError("PWM pin max duration too large");
    if (this.hardwarePwm) {
      this.pwmMax = mcu.getConstantFloat("PWM_MAX");
      mcu.requestMoveQueueSlot();
      this.oid = mcu.createOid();
      mcu.addConfigCmd(
        `config_pwm_out oid=${this.oid} pin=${this.pin} cycle_ticks=${cycleTicks}` +
          ` value=${Math.trunc(this.startValue * this.pwmMax)} default_value=${Math.trunc(this.shutdownValue * this.pwmMax)}` +
          ` max_duration=${durationTicks}`,
      );
      const start = Math.trunc(this.startValue * this.pwmMax + 0.5);
      mcu.addConfigCmd(`queue_pwm_out oid=${this.oid} clock=${this.lastClock} value=${start}`, { onRestart: true });
      return;
    }
    // The MCU's software PWM can only fall back to fully off or fully on at shutdown.
    if (this.shutdownValue !== 0 && this.shutdownValue !== 1)
      throw new PinConfigError("shutdown value must be 0.0 or 1.0 on soft pwm");
    if (cycleTicks > MAX_SCHEDULE_TICKS) throw new PinConfigError("PWM pin cycle time too large");
    mcu.requestMoveQueueSlot();
    this.oid = mcu.createOid();
    mcu.addConfigCmd(
      `config_digital_out oid=${this.oid} pin=${this.pin} value=${this.startValue >= 1 ? 1 : 0}` +
        ` default_value=${this.shutdownValue >= 0.5 ? 1 : 0} max_duration=${durationTicks}`,
    );
    mcu.addConfigCmd(`set_digital_out_pwm_cycle oid=${this.oid} cycle_ticks=${cycleTicks}`);
    this.pwmMax = cycleTicks;
    const start = Math.trunc(this.startValue * cycleTicks + 0.5);
    mcu.addConfigCmd(`queue_digital_out oid=${this.oid} clock=${this.lastClock} on_ticks=${start}`, { isInit: true });
  }

  /**
   * The first print time at or after `printTime` (less up to `allowEarly`) that starts a software PWM
   * cycle, so a new value does not cut the running cycle short. Only matters between fully off and on.
   */
  nextAlignedPrintTime(printTime: number, allowEarly = 0): number {
    if (this.hardwarePwm || this.lastValue === 1 || this.lastValue === 0) return printTime;
    const reqTime = printTime - Math.min(allowEarly, 0.5 * this.cycleTime);
    const cycleTicks = this.mcu.secondsToClock(this.cycleTime);
    const reqClock = this.mcu.printTimeToClock(reqTime);
    const pulses = Math.floor((reqClock - this.lastClock + cycleTicks - 1) / cycleTicks);
    return this.mcu.clockToPrintTime(this.lastClock + pulses * cycleTicks);
  }

  /** Schedule a new duty cycle (0..1, before inversion) at a print time. */
  setPwm(printTime: number, value: number): void {
    if (this.oid < 0) throw new Error(`PWM pin ${this.pin} used before the MCU config was built`);
    if (this.invert) value = 1 - value;
    const v = Math.trunc(clamp01(value) * this.pwmMax + 0.5);
    const clock = this.mcu.printTimeToClock(printTime);
    // The wire carries the low 32 bits of the clock; the MCU extends it.
    const clock32 = clock >>> 0;
    const encoded = this.hardwarePwm
      ? this.mcu.dict.encodeCommand("queue_pwm_out", { oid: this.oid, clock: clock32, value: v })
      : this.mcu.dict.encodeCommand("queue_digital_out", { oid: this.oid, clock: clock32, on_ticks: v });
    this.mcu.sendCommand(encoded, { minClock: this.lastClock, reqClock: clock, queue: this.queue ?? undefined });
    this.lastClock = clock;
    this.lastValue = value;
  }
}

function clamp01(v: number): number {
  return Math.max(0, Math.min(1, v));
}
