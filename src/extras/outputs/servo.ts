// [servo NAME]: a hobby servo on a 50 Hz PWM pin; SET_SERVO SERVO=name ANGLE=deg | WIDTH=seconds.
// Pulse width = minimum_pulse_width + angle * (max - min) / maximum_servo_angle. Changes are aligned
// to the start of a PWM cycle so a pulse is never cut short.
import type { ConfigSection } from "../../core/config/section.ts";
import type { McuPwm } from "../../core/mcu-pins/mcu-pwm.ts";
import type { PwmOutput } from "../../core/mcu-pins/output-types.ts";
import { setupPwmPin } from "../../core/mcu-pins/pin-setup.ts";
import { printerRequestQueue } from "./printer-request-queue.ts";
import type { RequestQueue, RequestResult } from "./request-queue.ts";
import { type Printer, registerModule } from "../../core/printer.ts";

const SIGNAL_PERIOD = 0.020;
const RESCHEDULE_SLACK = 0.000500;

export class PrinterServo {
  private readonly minWidth: number;
  private readonly maxWidth: number;
  private readonly maxAngle: number;
  private readonly pwm: PwmOutput;
  private readonly rq: RequestQueue;
  private lastValue = 0;

  constructor(config: ConfigSection, printer: Printer) {
    this.minWidth = config.getFloat("minimum_pulse_width", 0.001, { above: 0, below: SIGNAL_PERIOD });
    this.maxWidth = config.getFloat("maximum_pulse_width", 0.002, { above: this.minWidth, below: SIGNAL_PERIOD });
    this.maxAngle = config.getFloat("maximum_servo_angle", 180);
    const angle = config.getFloat("initial_angle", null, { minval: 0, maxval: 360 });
    const initial = angle !== null ? this.fromAngle(angle) : this.fromWidth(config.getFloat("initial_pulse_width", 0, { minval: 0, maxval: this.maxWidth }));
    this.pwm = setupPwmPin(printer.pins, config.get("pin"), config.getName());
    this.pwm.setupMaxDuration(0);
    this.pwm.setupCycleTime(SIGNAL_PERIOD);
    this.pwm.setupStartValue(initial, 0);
    this.rq = printerRequestQueue(printer, this.pwm.mcu, (pt, v) => this.apply(pt, v));
    const name = config.getName().split(/\s+/)[1]!;
    printer.gcode.registerMux("SET_SERVO", "SERVO", name, (g) => {
      const width = g.getFloat("WIDTH", null);
      this.rq.queueGcodeRequest(width !== null ? this.fromWidth(width) : this.fromAngle(g.getFloat("ANGLE")));
    }, "Set servo angle");
  }

  /** Duty cycle for an angle (clamped to 0..maximum_servo_angle). */
  fromAngle(angle: number): number {
    const a = Math.max(0, Math.min(this.maxAngle, angle));
    return (this.minWidth + (a * (this.maxWidth - this.minWidth)) / this.maxAngle) / SIGNAL_PERIOD;
  }

  /** Duty cycle for a pulse width (0 = off; otherwise clamped to the configured range). */
  fromWidth(width: number): number {
    const w = width ? Math.max(this.minWidth, Math.min(this.maxWidth, width)) : 0;
    return w / SIGNAL_PERIOD;
  }

  private apply(printTime: number, value: number): RequestResult {
    if (value === this.lastValue) return ["discard", 0];
    const aligned = (this.pwm as Partial<McuPwm>).nextAlignedPrintTime?.(printTime, RESCHEDULE_SLACK) ?? printTime;
    if (aligned > printTime + RESCHEDULE_SLACK) return ["reschedule", aligned];
    this.lastValue = value;
    this.pwm.setPwm(aligned, value);
    return undefined;
  }

  getStatus(): { value: number } {
    return { value: this.lastValue };
  }
}

registerModule("servo ", (config, printer) => new PrinterServo(config, printer));
