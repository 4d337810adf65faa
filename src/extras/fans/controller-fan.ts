// [controller_fan NAME]: cools the electronics while any stepper is enabled or any of its heaters has
// a target; keeps running at idle_speed for idle_timeout seconds after that.
import { ConfigError } from "../../core/config/errors.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import type { Heater } from "../heaters/heater.ts";
import { lookupHeaters } from "../heaters/heaters.ts";
import { HOUSEKEEPING, hostTime, startPeriodic } from "../../core/host-timers.ts";
import { Fan } from "./printer-fan.ts";

const PIN_MIN_TIME = 0.1;

/** The part of the stepper_enable object this fan reads. */
interface StepperEnable {
  getSteppers(): string[];
  lookupEnable(name: string): { isMotorEnabled(): boolean };
}

export class ControllerFan {
  readonly fan: Fan;
  private stepperNames: string[] | null;
  readonly fanSpeed: number;
  readonly idleSpeed: number;
  readonly idleTimeout: number;
  readonly heaterNames: string[];
  private heaters: Heater[] = [];
  private stepperEnable: StepperEnable | null = null;
  private lastOn: number;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    this.stepperNames = config.getList("stepper", null);
    lookupHeaters(printer);
    this.fan = new Fan(config, printer);
    this.fanSpeed = config.getFloat("fan_speed", 1, { minval: 0, maxval: 1 })!;
    this.idleSpeed = config.getFloat("idle_speed", this.fanSpeed, { minval: 0, maxval: 1 })!;
    this.idleTimeout = config.getInt("idle_timeout", 30, { minval: 0 })!;
    this.heaterNames = config.getList("heater", ["extruder"])!;
    this.lastOn = this.idleTimeout;
    printer.registerEventHandler("klippy:connect", () => this.handleConnect());
    printer.registerEventHandler("klippy:ready", () =>
      startPeriodic(printer, `controller_fan:${this.fan.output.pwm.pin}`, hostTime(printer) + PIN_MIN_TIME, (now) => this.update(now), HOUSEKEEPING));
  }

  private handleConnect(): void {
    const heaters = lookupHeaters(this.printer);
    this.heaters = this.heaterNames.map((n) => heaters.lookupHeater(n));
    this.stepperEnable = this.printer.lookupObject("stepper_enable", null);
    const all = this.stepperEnable?.getSteppers() ?? [];
    if (this.stepperNames === null) {
      this.stepperNames = all;
      return;
    }
    if (!this.stepperNames.every((n) => all.includes(n)))
      throw new ConfigError(
        `One or more of these steppers are unknown: ${JSON.stringify(this.stepperNames)} (valid steppers are: ${all.join(", ")})`,
      );
  }

  /** One check; returns the next check time. */
  update(now: number): number {
    let active = false;
    for (const name of this.stepperNames ?? []) if (this.stepperEnable?.lookupEnable(name).isMotorEnabled()) active = true;
    for (const h of this.heaters) if (h.getTemp(now)[1]) active = true;
    let speed = 0;
    if (active) {
      this.lastOn = 0;
      speed = this.fanSpeed;
    } else if (this.lastOn < this.idleTimeout) {
      speed = this.idleSpeed;
      this.lastOn++;
    }
    this.fan.setSpeedIfChanged(speed);
    return now + 1;
  }

  getStatus(): { speed: number; rpm: number | null } {
    return this.fan.getStatus();
  }
}

registerModule("controller_fan ", (config, printer) => new ControllerFan(config, printer));
