// [pwm_cycle_time NAME]: a software PWM output whose cycle time can change at run time
// (SET_PIN PIN=name VALUE=v [CYCLE_TIME=s]); the new cycle is sent before the value that uses it.
import { ConfigError } from "../../core/config/errors.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import { hostTime } from "../../core/host-timers.ts";
import { GCodeError } from "../../core/gcode/errors.ts";
import type { McuCommandQueue, McuPort } from "../../core/mcu-pins/mcu-port.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { pinMcu } from "../bus/bus.ts";

const MIN_SCHEDULE_TIME = 0.1;
const MAX_NOMINAL_DURATION = 3.0;

class PwmCycleOutput {
  private readonly scale: number;
  private lastValue: number;
  private lastCycleTime: number;
  private readonly defaultCycleTime: number;
  private readonly mcu: McuPort;
  private readonly pin: string;
  private readonly invert: boolean;
  private readonly start: number;
  private readonly shutdown: number;
  private oid = -1;
  private queue: McuCommandQueue | null = null;
  private lastClock = 0;
  private cycleTicks = 0;
  private lastPrintTime = 0;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    this.scale = config.getFloat("scale", 1, { above: 0 });
    this.lastValue = config.getFloat("value", 0, { minval: 0, maxval: this.scale }) / this.scale;
    const shutdown = config.getFloat("shutdown_value", 0, { minval: 0, maxval: this.scale }) / this.scale;
    const p = printer.pins.lookupPin(config.get("pin"), { canInvert: true, owner: config.getName() });
    this.mcu = pinMcu(p);
    this.pin = p.pin;
    this.invert = Boolean(p.invert);
    this.defaultCycleTime = this.lastCycleTime = config.getFloat("cycle_time", 0.1, { above: 0, maxval: MAX_NOMINAL_DURATION });
    const clamp = (v: number) => Math.max(0, Math.min(1, v));
    this.start = clamp(this.invert ? 1 - this.lastValue : this.lastValue);
    this.shutdown = clamp(this.invert ? 1 - shutdown : shutdown);
    this.mcu.registerConfigCallback(() => this.buildConfig());
    const name = config.getName().split(/\s+/)[1]!;
    printer.gcode.registerMux("SET_PIN", "PIN", name, (g) => {
      const value = g.getFloat("VALUE", undefined, { minval: 0, maxval: this.scale }) / this.scale;
      const cycleTime = g.getFloat("CYCLE_TIME", this.defaultCycleTime, { above: 0, maxval: MAX_NOMINAL_DURATION });
      this.printer.lookupObject("toolhead").registerLookaheadCallback((pt) => this.set(pt, value, cycleTime));
    }, "Set the value of an output pin");
  }

  private buildConfig(): void {
    const mcu = this.mcu;
    this.queue = mcu.allocCommandQueue();
    this.lastClock = mcu.printTimeToClock(mcu.estimatedPrintTime(hostTime(this.printer)) + 0.2);
    const cycleTicks = mcu.secondsToClock(this.lastCycleTime);
    if (this.shutdown !== 0 && this.shutdown !== 1) throw new ConfigError("shutdown value must be 0.0 or 1.0 on soft pwm");
    if (cycleTicks >= 2 ** 31) throw new ConfigError("PWM pin cycle time too large");
    mcu.requestMoveQueueSlot();
    this.oid = mcu.createOid();
    mcu.addConfigCmd(`config_digital_out oid=${this.oid} pin=${this.pin} value=${this.start >= 1 ? 1 : 0} default_value=${this.shutdown >= 0.5 ? 1 : 0} max_duration=0`);
    mcu.addConfigCmd(`set_digital_out_pwm_cycle oid=${this.oid} cycle_ticks=${cycleTicks}`);
    this.cycleTicks = cycleTicks;
    mcu.addConfigCmd(`queue_digital_out oid=${this.oid} clock=${this.lastClock} on_ticks=${Math.trunc(this.start * cycleTicks + 0.5)}`, { isInit: true });
  }

  private set(printTime: number, value: number, cycleTime: number): void {
    if (value === this.lastValue && cycleTime === this.lastCycleTime) return;
    const pt = Math.max(printTime, this.lastPrintTime + MIN_SCHEDULE_TIME);
    const mcu = this.mcu;
    const clock = mcu.printTimeToClock(pt);
    const ticks = mcu.secondsToClock(cycleTime);
    if (ticks !== this.cycleTicks) {
      if (ticks >= 2 ** 31) throw new GCodeError("PWM cycle time too large");
      mcu.sendCommand(mcu.dict.encodeCommand("set_digital_out_pwm_cycle", { oid: this.oid, cycle_ticks: ticks }), { minClock: this.lastClock, reqClock: clock, queue: this.queue! });
      this.cycleTicks = ticks;
    }
    const v = Math.max(0, Math.min(1, this.invert ? 1 - value : value));
    const onTicks = Math.trunc(v * this.cycleTicks + 0.5);
    mcu.sendCommand(mcu.dict.encodeCommand("queue_digital_out", { oid: this.oid, clock: clock >>> 0, on_ticks: onTicks }), { minClock: this.lastClock, reqClock: clock, queue: this.queue! });
    this.lastClock = clock;
    this.lastValue = value;
    this.lastCycleTime = cycleTime;
    this.lastPrintTime = pt;
  }

  getStatus(): { value: number } {
    return { value: this.lastValue };
  }
}

registerModule("pwm_cycle_time ", (config, printer) => new PwmCycleOutput(config, printer));
