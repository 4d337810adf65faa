// [verify_heater NAME]: once a second, check that the heater behaves (see heater-check.ts); a failing
// heater shuts the printer down. Loaded for every heater, with or without a config section. Disabled
// in batch output, where nothing heats.
import type { ConfigSection } from "../../core/config/section.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { defaultCheckGainTime, HEATER_CHECK_DEFAULTS, HeaterCheck, heaterFaultMessage } from "./heater-check.ts";
import { hostTime, isFileOutput, startPeriodic } from "../../core/host-timers.ts";
import { lookupHeaters } from "./heaters.ts";

export class VerifyHeater {
  readonly heaterName: string;
  readonly check: HeaterCheck;
  private stop: (() => void) | null = null;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    this.heaterName = config.getName().split(/\s+/)[1]!;
    this.check = new HeaterCheck({
      hysteresis: config.getFloat("hysteresis", HEATER_CHECK_DEFAULTS.hysteresis, { minval: 0 })!,
      maxError: config.getFloat("max_error", HEATER_CHECK_DEFAULTS.maxError, { minval: 0 })!,
      heatingGain: config.getFloat("heating_gain", HEATER_CHECK_DEFAULTS.heatingGain, { above: 0 })!,
      checkGainTime: config.getFloat("check_gain_time", defaultCheckGainTime(this.heaterName), { minval: 1 })!,
    });
    printer.registerEventHandler("klippy:connect", () => this.handleConnect());
    printer.registerEventHandler("klippy:shutdown", () => this.stop?.());
  }

  private handleConnect(): void {
    if (isFileOutput(this.printer)) return;
    const heater = lookupHeaters(this.printer).lookupHeater(this.heaterName);
    this.stop = startPeriodic(this.printer, `verify_heater:${this.heaterName}`, hostTime(this.printer), (now) => {
      const [temp, target] = heater.getTemp(now);
      if (this.check.check(now, temp, target)) return now + 1;
      this.printer.invokeShutdown(heaterFaultMessage(this.heaterName));
      return null;
    });
  }
}

registerModule("verify_heater ", (config, printer) => new VerifyHeater(config, printer));
