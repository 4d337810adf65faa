// [output_pin NAME]: a PWM or on/off pin set by SET_PIN PIN=NAME VALUE=v, with a start value, a
// shutdown value (what the MCU falls back to on its own) and, for PWM, a scale for VALUE.
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import type { DigitalOutput, PwmOutput } from "../../core/mcu-pins/output-types.ts";
import { setupDigitalOutPin, setupPwmPin } from "../../core/mcu-pins/pin-setup.ts";
import { printerRequestQueue } from "./printer-request-queue.ts";
import type { RequestQueue, RequestResult } from "./request-queue.ts";

/** Longest software PWM cycle the MCU's timers handle (klippy's MAX_NOMINAL_DURATION). */
const MAX_NOMINAL_DURATION = 3.0;

export class PrinterOutputPin {
  readonly isPwm: boolean;
  readonly scale: number;
  private readonly pin: { kind: "pwm"; pwm: PwmOutput } | { kind: "digital"; out: DigitalOutput };
  lastValue: number;
  readonly shutdownValue: number;
  private readonly rq: RequestQueue;

  constructor(config: ConfigSection, printer: Printer) {
    const owner = config.getName();
    this.isPwm = config.getBoolean("pwm", false)!;
    if (this.isPwm) {
      const pwm = setupPwmPin(printer.pins, config.get("pin")!, owner);
      const cycleTime = config.getFloat("cycle_time", 0.1, { above: 0, maxval: MAX_NOMINAL_DURATION })!;
      pwm.setupCycleTime(cycleTime, config.getBoolean("hardware_pwm", false)!);
      this.scale = config.getFloat("scale", 1, { above: 0 })!;
      pwm.setupMaxDuration(0);
      this.pin = { kind: "pwm", pwm };
    } else {
      const out = setupDigitalOutPin(printer.pins, config.get("pin")!, owner);
      this.scale = 1;
      out.setupMaxDuration(0);
      this.pin = { kind: "digital", out };
    }
    this.lastValue = config.getFloat("value", 0, { minval: 0, maxval: this.scale })! / this.scale;
    this.shutdownValue = config.getFloat("shutdown_value", 0, { minval: 0, maxval: this.scale })! / this.scale;
    if (this.pin.kind === "pwm") this.pin.pwm.setupStartValue(this.lastValue, this.shutdownValue);
    else this.pin.out.setupStartValue(this.lastValue, this.shutdownValue);
    const mcu = this.pin.kind === "pwm" ? this.pin.pwm.mcu : this.pin.out.mcu;
    this.rq = printerRequestQueue(printer, mcu, (t, v) => this.setPin(t, v));
    const name = config.getName().split(/\s+/)[1]!;
    printer.gcode.registerMux("SET_PIN", "PIN", name, (g) => this.cmdSetPin(g), "Set the value of an output pin");
  }

  private setPin(printTime: number, value: number): RequestResult {
    if (value === this.lastValue) return ["discard", 0];
    this.lastValue = value;
    if (this.pin.kind === "pwm") this.pin.pwm.setPwm(printTime, value);
    else this.pin.out.setDigital(printTime, value);
    return undefined;
  }

  private cmdSetPin(gcmd: GCodeCommand): void {
    const raw = gcmd.getFloat("VALUE", null, { minval: 0, maxval: this.scale });
    if (gcmd.get("TEMPLATE", null) !== null) throw gcmd.error("SET_PIN TEMPLATE is not supported; use VALUE");
    if (raw === null) throw gcmd.error("SET_PIN command must specify VALUE or TEMPLATE");
    const value = raw / this.scale;
    if (!this.isPwm && value !== 0 && value !== 1) throw gcmd.error("Invalid pin value");
    this.rq.queueGcodeRequest(value);
  }

  getStatus(): { value: number } {
    return { value: this.lastValue };
  }
}

registerModule("output_pin ", (config, printer) => new PrinterOutputPin(config, printer));
