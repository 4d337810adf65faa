// A fan built from its config section (Klipper's fan.Fan), shared by [fan], [heater_fan],
// [controller_fan] and [fan_generic]: reads the fan options, sets up the PWM (and enable) pins and
// schedules speed changes; [fan] itself adds M106/M107.
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { setupDigitalOutPin, setupPwmPin } from "../../core/mcu-pins/pin-setup.ts";
import { printerRequestQueue } from "../outputs/printer-request-queue.ts";
import type { RequestQueue } from "../outputs/request-queue.ts";
import { FanOutput } from "./fan.ts";
import { setupTachometer } from "./tachometer.ts";

export class Fan {
  readonly output: FanOutput;
  private readonly rq: RequestQueue;
  /** Last speed a periodic check asked for (see setSpeedIfChanged). */
  private checkedSpeed = 0;

  constructor(config: ConfigSection, printer: Printer, defaultShutdownSpeed = 0) {
    const opts = {
      maxPower: config.getFloat("max_power", 1, { above: 0, maxval: 1 })!,
      kickStartTime: config.getFloat("kick_start_time", 0.1, { minval: 0 })!,
      offBelow: config.getFloat("off_below", 0, { minval: 0, maxval: 1 })!,
      cycleTime: config.getFloat("cycle_time", 0.01, { above: 0 })!,
      hardwarePwm: config.getBoolean("hardware_pwm", false)!,
      shutdownSpeed: config.getFloat("shutdown_speed", defaultShutdownSpeed, { minval: 0, maxval: 1 })!,
    };
    const owner = config.getName();
    const pwm = setupPwmPin(printer.pins, config.get("pin")!, owner);
    const enableDesc = config.get("enable_pin", null);
    const enable = enableDesc === null ? null : setupDigitalOutPin(printer.pins, enableDesc, owner);
    const rq = printerRequestQueue(printer, pwm.mcu, (t, v) => this.output.applySpeed(t, v));
    this.output = new FanOutput(opts, pwm, enable, setupTachometer(config, printer.pins));
    this.rq = rq;
    printer.registerEventHandler("gcode:request_restart", (printTime: number) => this.setSpeed(0, printTime));
  }

  /** Change speed now (or at a print time), outside the G-code stream. */
  setSpeed(speed: number, printTime?: number): void {
    this.rq.sendAsyncRequest(speed, printTime);
  }

  /** For fans a once-a-second check drives ([heater_fan], [controller_fan]): send only changes. */
  setSpeedIfChanged(speed: number): void {
    if (speed === this.checkedSpeed) return;
    this.checkedSpeed = speed;
    this.setSpeed(speed);
  }

  /** Change speed after the moves queued so far (M106, SET_FAN_SPEED). */
  setSpeedFromCommand(speed: number): void {
    this.rq.queueGcodeRequest(speed);
  }

  getStatus(): { speed: number; rpm: number | null } {
    return this.output.getStatus();
  }
}

/** [fan]: the part cooling fan, M106 S<0-255> / M107. */
export class PrinterFan {
  readonly fan: Fan;

  constructor(config: ConfigSection, printer: Printer) {
    this.fan = new Fan(config, printer);
    printer.gcode.register("M106", (g) => this.cmdM106(g));
    printer.gcode.register("M107", () => this.fan.setSpeedFromCommand(0));
  }

  private cmdM106(gcmd: GCodeCommand): void {
    this.fan.setSpeedFromCommand(gcmd.getFloat("S", 255, { minval: 0 }) / 255);
  }

  getStatus(): { speed: number; rpm: number | null } {
    return this.fan.getStatus();
  }
}

registerModule("fan", (config, printer) => new PrinterFan(config, printer));
