// [heater_fan NAME]: on (at fan_speed) while any of its heaters has a target or is above heater_temp.
// Shuts down to full speed by default, so a hotend keeps being cooled after an error.
import type { ConfigSection } from "../../core/config/section.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import type { Heater } from "../heaters/heater.ts";
import { lookupHeaters } from "../heaters/heaters.ts";
import { HOUSEKEEPING, hostTime, startPeriodic } from "../../core/host-timers.ts";
import { Fan } from "./printer-fan.ts";

/** Delay before the first check after ready. */
const PIN_MIN_TIME = 0.1;

export class HeaterFan {
  readonly fan: Fan;
  readonly heaterNames: string[];
  readonly heaterTemp: number;
  readonly fanSpeed: number;
  private heaters: Heater[] = [];

  constructor(config: ConfigSection, private readonly printer: Printer) {
    lookupHeaters(printer);
    this.heaterNames = config.getList("heater", ["extruder"])!;
    this.heaterTemp = config.getFloat("heater_temp", 50)!;
    this.fan = new Fan(config, printer, 1);
    this.fanSpeed = config.getFloat("fan_speed", 1, { minval: 0, maxval: 1 })!;
    printer.registerEventHandler("klippy:ready", () => this.handleReady());
  }

  private handleReady(): void {
    const heaters = lookupHeaters(this.printer);
    this.heaters = this.heaterNames.map((n) => heaters.lookupHeater(n));
    startPeriodic(this.printer, `heater_fan:${this.fan.output.pwm.pin}`, hostTime(this.printer) + PIN_MIN_TIME, (now) => this.update(now), HOUSEKEEPING);
  }

  /** One check: the speed the heaters call for; returns the next check time. */
  update(now: number): number {
    let speed = 0;
    for (const h of this.heaters) {
      const [temp, target] = h.getTemp(now);
      if (target || temp > this.heaterTemp) speed = this.fanSpeed;
    }
    this.fan.setSpeedIfChanged(speed);
    return now + 1;
  }

  getStatus(): { speed: number; rpm: number | null } {
    return this.fan.getStatus();
  }
}

registerModule("heater_fan ", (config, printer) => new HeaterFan(config, printer));
