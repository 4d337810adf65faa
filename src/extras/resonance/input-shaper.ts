// [input_shaper] (Klipper's extras/input_shaper.py): per-axis shaper type, frequency and
// damping ratio from config and SET_INPUT_SHAPER; wraps the toolhead steppers' kinematics
// with InputShaperKinematics and keeps their pulses up to date.
//
// API: new InputShaper(config, host) — `host` gives the toolhead steppers, flushing and the
// scan-window update (see InputShaperHost); the printer module wires it to the printer.
//   shaper.connect()                     apply the configured shapers (at klippy:connect)
//   shaper.setInputShaper(params, error) SET_INPUT_SHAPER; returns the report lines
//   shaper.disableShaping() / enableShaping()   (used by resonance testing)

import type { ConfigSection } from "../../core/config/section.ts";
import { ConfigError } from "../../core/config/errors.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { InputShaperKinematics } from "../../motion/steps/stepper-kinematics/shaper.ts";
import { DEFAULT_DAMPING_RATIO, getShaperCfg, initShaper, ShaperError } from "../../motion/steps/shaper-defs.ts";
import type { McuStepper } from "../../motion/stepper.ts";

const AXES = ["x", "y", "z"] as const;
type AxisName = (typeof AXES)[number];

/** Parameter lookup of SET_INPUT_SHAPER (a GCodeCommand fits). */
export interface ShaperParams {
  get(name: string, def: string | null): string | null;
  getFloat(name: string, def: number, bounds?: { minval?: number }): number;
}

export interface InputShaperHost {
  /** The toolhead kinematics' steppers. */
  steppers(): McuStepper[];
  /** True when the printer has dual carriages (their shapers are set per carriage). */
  hasDualCarriage(): boolean;
  flushStepGeneration(): void;
  checkStepGenerationScanWindows(): void;
}

interface Pulses { n: number; A: number[]; T: number[]; }
const NO_SHAPER: Pulses = { n: 0, A: [], T: [] };

class AxisInputShaper {
  shaperType: string;
  dampingRatio: number;
  shaperFreq: number;
  pulses: Pulses;
  private saved: Pulses | null = null;

  constructor(readonly axis: AxisName, config: ConfigSection) {
    const shaperType = config.get("shaper_type", "mzv");
    this.shaperType = config.get("shaper_type_" + axis, shaperType);
    const cfg = getShaperCfg(this.shaperType);
    if (!cfg) throw new ConfigError(`Unsupported shaper type: ${this.shaperType}`);
    this.dampingRatio = config.getFloat("damping_ratio_" + axis, DEFAULT_DAMPING_RATIO, { minval: 0., maxval: cfg.maxDampingRatio });
    this.shaperFreq = config.getFloat("shaper_freq_" + axis, 0., { minval: 0. });
    this.pulses = this.compute(this.shaperType, this.shaperFreq, this.dampingRatio, (m) => new ConfigError(m));
  }

  private compute(type: string, freq: number, damping: number, error: (msg: string) => Error): Pulses {
    if (!freq) return NO_SHAPER;
    try {
      const s = initShaper(type, freq, damping);
      return s ? { n: s.A.length, A: s.A, T: s.T } : NO_SHAPER;
    } catch (e) {
      if (e instanceof ShaperError) throw error(`Failed to initialize shaper: ${e.message}`);
      throw e;
    }
  }

  update(params: ShaperParams, error: (msg: string) => Error): void {
    const axis = this.axis.toUpperCase();
    const shaperType = params.get("SHAPER_TYPE", null) ?? params.get("SHAPER_TYPE_" + axis, this.shaperType)!;
    const cfg = getShaperCfg(shaperType.toLowerCase());
    if (!cfg) throw error(`Unsupported shaper type: ${shaperType}`);
    const damping = params.getFloat("DAMPING_RATIO_" + axis, this.dampingRatio, { minval: 0. });
    if (damping > cfg.maxDampingRatio)
      throw error(`Too high value of damping_ratio=${damping.toFixed(3)} for shaper ${shaperType} on axis ${axis}`);
    const freq = params.getFloat("SHAPER_FREQ_" + axis, this.shaperFreq, { minval: 0. });
    const pulses = this.compute(shaperType.toLowerCase(), freq, damping, error);
    this.dampingRatio = damping;
    this.shaperType = shaperType.toLowerCase();
    this.shaperFreq = freq;
    this.pulses = pulses;
  }

  isEnabled(): boolean { return this.pulses.n > 0; }

  disable(): void {
    if (this.saved === null && this.pulses.n) this.saved = this.pulses;
    this.pulses = NO_SHAPER;
  }

  enable(): void {
    if (this.saved === null) return;
    this.pulses = this.saved;
    this.saved = null;
  }

  /** Apply to one shaped stepper; false when the pulses were refused (shaping then off). */
  apply(sk: InputShaperKinematics): boolean {
    try {
      sk.setShaperParams(this.axis, this.pulses.A, this.pulses.T);
      return true;
    } catch {
      this.disable();
      sk.setShaperParams(this.axis, [], []);
      return false;
    }
  }

  report(): string {
    return `shaper_type_${this.axis}:${this.shaperType} shaper_freq_${this.axis}:${this.shaperFreq.toFixed(3)}`
      + ` damping_ratio_${this.axis}:${this.dampingRatio.toFixed(6)}`;
  }
}

export class InputShaper {
  readonly shapers: AxisInputShaper[];
  private readonly shaped = new Set<InputShaperKinematics>();

  constructor(config: ConfigSection, private readonly host: InputShaperHost) {
    this.shapers = AXES.map((a) => new AxisInputShaper(a, config));
  }

  connect(): void {
    if (this.host.hasDualCarriage()) {
      if (this.shapers.some((s) => s.isEnabled()))
        throw new ConfigError("Input shaper parameters cannot be configured via [input_shaper] section with dual_carriage(s) "
          + " enabled. Refer to Klipper documentation on how to configure input shaper for dual_carriage(s).");
      return;
    }
    this.updateInputShaping((m) => new ConfigError(m));
  }

  /** Dual carriage modes changed the wrapped kinematics' axes: refresh the wrappers. */
  updateKinematics(): void {
    this.host.flushStepGeneration();
    for (const s of this.host.steppers()) {
      if (s.getTrapq() === null) continue;
      this.shaperKinematics(s)?.updateFromOrig();
    }
    this.host.checkStepGenerationScanWindows();
  }

  /** The stepper's shaping wrapper, installing one on first use (null: not shapeable). */
  private shaperKinematics(stepper: McuStepper): InputShaperKinematics | null {
    const sk = stepper.getStepperKinematics();
    if (sk instanceof InputShaperKinematics && this.shaped.has(sk)) return sk;
    if (!sk) return null;
    let isk: InputShaperKinematics;
    try {
      isk = new InputShaperKinematics(sk);
    } catch {
      return null; // moves no x/y/z axis
    }
    // Klipper installs the wrapper before copying the commanded position into it, so the
    // stepper's MCU position offset is taken against 0; keep that for identical positions.
    const commanded = isk.commandedPos;
    isk.commandedPos = 0;
    stepper.setStepperKinematics(isk);
    isk.commandedPos = commanded;
    this.shaped.add(isk);
    return isk;
  }

  private updateInputShaping(error: (msg: string) => Error): void {
    this.host.flushStepGeneration();
    const failed = new Set<AxisInputShaper>();
    for (const s of this.host.steppers()) {
      if (s.getTrapq() === null) continue;
      const isk = this.shaperKinematics(s);
      if (!isk) continue;
      for (const shaper of this.shapers) {
        if (failed.has(shaper)) continue;
        if (!shaper.apply(isk)) failed.add(shaper);
      }
    }
    this.host.checkStepGenerationScanWindows();
    if (failed.size)
      throw error(`Failed to configure shaper(s) ${[...failed].map((s) => "shaper_" + s.axis).join(", ")} with given parameters`);
  }

  disableShaping(): void {
    for (const s of this.shapers) s.disable();
    this.updateInputShaping((m) => new Error(m));
  }

  enableShaping(): void {
    for (const s of this.shapers) s.enable();
    this.updateInputShaping((m) => new Error(m));
  }

  /** SET_INPUT_SHAPER: update from params (if any) and report x, y and an enabled z. */
  setInputShaper(params: ShaperParams & { hasParameters: boolean }, error: (msg: string) => Error): string[] {
    if (params.hasParameters) {
      for (const s of this.shapers) s.update(params, error);
      this.updateInputShaping(error);
    }
    return this.shapers.filter((s, i) => i < 2 || s.isEnabled()).map((s) => s.report());
  }
}

registerModule("input_shaper", (config: ConfigSection, printer: Printer) => {
  const toolhead = () => printer.lookupObject("toolhead");
  let connected = false;
  const shaper = new InputShaper(config, {
    steppers: () => toolhead().getKinematics().getSteppers(),
    hasDualCarriage: () => printer.lookupObject("dual_carriage", null) !== null,
    flushStepGeneration: () => toolhead().flushStepGeneration(),
    checkStepGenerationScanWindows: () =>
      printer.lookupObject("motion_queuing").checkStepGenerationScanWindows(),
  });
  printer.registerEventHandler("klippy:connect", () => { connected = true; shaper.connect(); });
  printer.registerEventHandler("dual_carriage:update_kinematics", () => { if (connected) shaper.updateKinematics(); });
  printer.gcode.register("SET_INPUT_SHAPER", (g: GCodeCommand) => {
    const hasParameters = Object.keys(g.getCommandParameters()).length > 0;
    const params = {
      hasParameters,
      get: (n: string, d: string | null) => g.get(n, d),
      getFloat: (n: string, d: number, b?: { minval?: number }) => g.getFloat(n, d, b),
    };
    for (const line of shaper.setInputShaper(params, (m) => g.error(m))) g.respondInfo(line);
  }, "Set cartesian parameters for input shaper");
  return shaper;
});
