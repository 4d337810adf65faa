// Stepper driver enable lines (Klipper's stepper_enable): a stepper's enable
// pin switches on automatically when the stepper first moves, and off with
// M18/M84, SET_STEPPER_ENABLE, a failed G28, or at exit. Several steppers may
// share one enable pin (it stays on while any of them is enabled).
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { createMcuPin } from "../../core/mcu-pins/pin-setup.ts";
import type { McuPort } from "../../core/mcu-pins/mcu-port.ts";
import type { PinParams } from "../../core/pins.ts";
import { type Printer, registerModule } from "../../core/printer.ts";

declare module "../../core/printer.ts" {
  interface PrinterObjects {
    stepper_enable: PrinterStepperEnable;
  }
}

/** Wait after switching a driver off before anything may switch it on again. */
const DISABLE_STALL_TIME = 0.1;

interface DigitalPin {
  setupMaxDuration(seconds: number): void;
  setDigital(printTime: number, value: number | boolean): void;
}

/** One enable line, possibly shared by several steppers. */
class StepperEnablePin {
  isDedicated = true;
  constructor(private readonly pin: DigitalPin | null, private enableCount: number) {}
  setEnable(printTime: number): void {
    if (!this.enableCount) this.pin?.setDigital(printTime, 1);
    this.enableCount++;
  }
  setDisable(printTime: number): void {
    this.enableCount--;
    if (!this.enableCount) this.pin?.setDigital(printTime, 0);
  }
}

interface EnableStepper {
  getName(): string;
  addActiveCallback(cb: (printTime: number) => void): void;
}

/** Enable state of one stepper. */
class EnableTracking {
  private enabled = false;
  private readonly callbacks: ((printTime: number, enabled: boolean) => void)[] = [];
  constructor(private readonly stepper: EnableStepper, readonly line: StepperEnablePin) {
    stepper.addActiveCallback((pt) => this.motorEnable(pt));
  }
  registerStateCallback(cb: (printTime: number, enabled: boolean) => void): void {
    this.callbacks.push(cb);
  }
  motorEnable(printTime: number): void {
    if (this.enabled) return;
    for (const cb of this.callbacks) cb(printTime, true);
    this.line.setEnable(printTime);
    this.enabled = true;
  }
  motorDisable(printTime: number): void {
    if (!this.enabled) return;
    for (const cb of this.callbacks) cb(printTime, false);
    this.line.setDisable(printTime);
    this.enabled = false;
    // Switch on again at the next movement
    this.stepper.addActiveCallback((pt) => this.motorEnable(pt));
  }
  isMotorEnabled(): boolean {
    return this.enabled;
  }
  hasDedicatedEnable(): boolean {
    return this.line.isDedicated;
  }
}

interface EnableToolhead {
  flushStepGeneration(): void;
  dwell(delay: number): void;
  getLastMoveTime(): number;
  getKinematics(): { clearHomingState(axes: string): void };
}

export class PrinterStepperEnable {
  readonly enableLines = new Map<string, EnableTracking>();
  /** Shared enable lines by pin parameters object (one per physical pin). */
  private readonly lines = new WeakMap<PinParams, StepperEnablePin>();

  constructor(private readonly printer: Printer) {
    printer.registerEventHandler("gcode:request_restart", () => this.motorOff());
    printer.gcode.register("M18", () => this.motorOff());
    printer.gcode.register("M84", () => this.motorOff());
  }

  private setupEnablePin(pin: string | null): StepperEnablePin {
    if (pin === null) {
      const always = new StepperEnablePin(null, 9999);
      always.isDedicated = false;
      return always;
    }
    const params = this.printer.pins.lookupPin(pin, { canInvert: true, shareType: "stepper_enable" });
    const known = this.lines.get(params);
    if (known) {
      known.isDedicated = false;
      return known;
    }
    const out = createMcuPin(params.chip as unknown as McuPort, "digital_out", params);
    out.setupMaxDuration(0);
    const line = new StepperEnablePin(out, 0);
    this.lines.set(params, line);
    return line;
  }

  registerStepper(config: ConfigSection, stepper: EnableStepper): void {
    const name = stepper.getName();
    this.printer.gcode.registerMux("SET_STEPPER_ENABLE", "STEPPER", name, (g) => this.cmdSetStepperEnable(g),
      "Enable/disable individual stepper by name");
    const line = this.setupEnablePin(config.get("enable_pin", null));
    this.enableLines.set(name, new EnableTracking(stepper, line));
  }

  private toolhead(): EnableToolhead {
    return this.printer.lookupObject("toolhead");
  }

  /** Switch the named steppers' drivers on or off; true if anything changed. */
  setMotorsEnable(stepperNames: readonly string[], enable: boolean): boolean {
    const toolhead = this.toolhead();
    // Generate all steps first so pending automatic enables have happened
    toolhead.flushStepGeneration();
    let printTime: number | null = null;
    let didChange = false;
    for (const name of stepperNames) {
      const el = this.enableLines.get(name);
      if (!el || el.isMotorEnabled() === enable) continue;
      if (printTime === null) {
        if (!enable) toolhead.dwell(DISABLE_STALL_TIME);
        printTime = toolhead.getLastMoveTime();
      }
      if (enable) el.motorEnable(printTime);
      else el.motorDisable(printTime);
      didChange = true;
    }
    if (didChange && !enable) toolhead.dwell(DISABLE_STALL_TIME);
    return didChange;
  }

  motorOff(): void {
    this.setMotorsEnable([...this.enableLines.keys()], false);
    this.toolhead().getKinematics().clearHomingState("xyz");
    this.printer.sendEvent("stepper_enable:motor_off");
  }

  private cmdSetStepperEnable(g: GCodeCommand): void {
    const name = g.get("STEPPER");
    const enable = g.getInt("ENABLE", 1);
    this.setMotorsEnable([name], !!enable);
  }

  lookupEnable(name: string): EnableTracking {
    const el = this.enableLines.get(name);
    if (!el) throw new Error(`Unknown stepper '${name}'`);
    return el;
  }

  getSteppers(): string[] {
    return [...this.enableLines.keys()];
  }

  getStatus(): Record<string, unknown> {
    const steppers: Record<string, boolean> = {};
    for (const [n, el] of this.enableLines) steppers[n] = el.isMotorEnabled();
    return { steppers };
  }
}

registerModule("stepper_enable", (_config, printer) => new PrinterStepperEnable(printer));
