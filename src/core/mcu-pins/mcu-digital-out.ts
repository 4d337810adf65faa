// An on/off output on an MCU pin (config_digital_out, queue_digital_out), as klippy configures it.
import { MAX_SCHEDULE_TICKS, type McuCommandQueue, type McuPort, PinConfigError } from "./mcu-port.ts";

export class McuDigitalOut {
  private startValue: boolean;
  private shutdownValue: boolean;
  private maxDuration = 2.0;
  private oid = -1;
  private lastClock = 0;
  private queue: McuCommandQueue | null = null;

  constructor(readonly mcu: McuPort, readonly pin: string, readonly invert: boolean) {
    this.startValue = this.shutdownValue = invert;
    mcu.registerConfigCallback(() => this.buildConfig());
  }

  setupMaxDuration(seconds: number): void { this.maxDuration = seconds; }
  setupStartValue(start: number | boolean, shutdown: number | boolean): void {
    this.startValue = !!start !== this.invert;
    this.shutdownValue = !!shutdown !== this.invert;
  }

  private buildConfig(): void {
    const mcu = this.mcu;
    if (this.maxDuration && this.startValue !== this.shutdownValue)
      throw new PinConfigError("Pin with max duration must have start value equal to shutdown value");
    const durationTicks = mcu.secondsToClock(this.maxDuration);
    if (durationTicks > MAX_SCHEDULE_TICKS) throw new PinConfigError("Digital pin max duration too large");
    mcu.requestMoveQueueSlot();
    this.oid = mcu.createOid();
    const start = this.startValue ? 1 : 0;
    mcu.addConfigCmd(
      `config_digital_out oid=${this.oid} pin=${this.pin} value=${start}` +
        ` default_value=${this.shutdownValue ? 1 : 0} max_duration=${durationTicks}`,
    );
    mcu.addConfigCmd(`update_digital_out oid=${this.oid} value=${start}`, { onRestart: true });
    this.queue = mcu.allocCommandQueue();
  }

  setDigital(printTime: number, value: number | boolean): void {
    if (this.oid < 0) throw new Error(`digital pin ${this.pin} used before the MCU config was built`);
    const clock = this.mcu.printTimeToClock(printTime);
    const on = !!value !== this.invert ? 1 : 0;
    // The wire carries the low 32 bits of the clock; the MCU extends it.
    const encoded = this.mcu.dict.encodeCommand("queue_digital_out", { oid: this.oid, clock: clock >>> 0, on_ticks: on });
    this.mcu.sendCommand(encoded, { minClock: this.lastClock, reqClock: clock, queue: this.queue ?? undefined });
    this.lastClock = clock;
  }
}
