// Fan tachometer: the MCU counts pulses on a pin (config_counter / query_counter) and reports the
// running count; the pulse frequency over each report gives the fan's RPM.
import type { ConfigSection } from "../../core/config/section.ts";
import type { PrinterPins } from "../../core/pins.ts";
import { type McuPort, querySlot } from "../../core/mcu-pins/mcu-port.ts";
import type { DecodedMessage } from "../../protocol/index.ts";

/** Pulses counted by the MCU on one pin, reported every sample time. */
export class McuCounter {
  readonly oid: number;
  private pollTicks = 0;
  private lastCount = 0;
  callback: ((time: number, count: number, countTime: number) => void) | null = null;

  constructor(readonly mcu: McuPort, readonly pin: string, readonly pullup: number, readonly sampleTime: number, readonly pollTime: number) {
    // Klipper allocates the counter's oid at construction, not when the config is built.
    this.oid = mcu.createOid();
    mcu.registerConfigCallback(() => this.buildConfig());
  }

  private buildConfig(): void {
    const mcu = this.mcu;
    mcu.addConfigCmd(`config_counter oid=${this.oid} pin=${this.pin} pull_up=${this.pullup}`);
    const clock = querySlot(mcu, this.oid);
    this.pollTicks = mcu.secondsToClock(this.pollTime);
    const sampleTicks = mcu.secondsToClock(this.sampleTime);
    mcu.addConfigCmd(`query_counter oid=${this.oid} clock=${clock} poll_ticks=${this.pollTicks} sample_ticks=${sampleTicks}`, { isInit: true });
    mcu.registerResponse("counter_state", this.oid, (msg) => this.handleState(msg));
  }

  private handleState(msg: DecodedMessage): void {
    const { next_clock: nextClock, count, count_clock: countClock } = msg.params;
    if (typeof nextClock !== "number" || typeof count !== "number" || typeof countClock !== "number") return;
    const time = this.mcu.clockToPrintTime(this.mcu.clock32ToClock64(nextClock) - this.pollTicks);
    const countTime = this.mcu.clockToPrintTime(this.mcu.clock32ToClock64(countClock));
    // The MCU's count is 32 bits and wraps.
    const total = this.lastCount + ((count - this.lastCount) % 2 ** 32 + 2 ** 32) % 2 ** 32;
    this.lastCount = total;
    this.callback?.(time, total, countTime);
  }
}

/** Pulse frequency from successive counter reports. */
export class FrequencyCounter {
  private lastTime: number | null = null;
  private lastCount = 0;
  frequency = 0;

  constructor(readonly counter: McuCounter) {
    counter.callback = (time, count, countTime) => this.update(time, count, countTime);
  }

  private update(time: number, count: number, countTime: number): void {
    if (this.lastTime === null) {
      this.lastTime = time;
    } else if (countTime - this.lastTime > 0) {
      this.frequency = (count - this.lastCount) / (countTime - this.lastTime);
      this.lastTime = countTime;
    } else {
      // No pulse since the last report: the fan stands still.
      this.lastTime = time;
      this.frequency = 0;
    }
    this.lastCount = count;
  }
}

/** A fan's tachometer_pin options; null when the fan has none. */
export function setupTachometer(config: ConfigSection, pins: PrinterPins): { rpm(): number } | null {
  const desc = config.get("tachometer_pin", null);
  if (desc === null) return null;
  const ppr = config.getInt("tachometer_ppr", 2, { minval: 1 })!;
  const pollTime = config.getFloat("tachometer_poll_interval", 0.0015, { above: 0 })!;
  const params = pins.lookupPin(desc, { canPullup: true, owner: config.getName() });
  const freq = new FrequencyCounter(new McuCounter(params.chip as unknown as McuPort, params.pin, params.pullup, 1, pollTime));
  // The MCU counts both edges of each pulse: rpm = edges/s ÷ 2 ÷ pulses-per-revolution × 60.
  return { rpm: () => (freq.frequency * 30) / ppr };
}
