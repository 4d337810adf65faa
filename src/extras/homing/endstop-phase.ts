// [endstop_phase] and [endstop_phase stepper_name]: make homing repeatable to a microstep by
// using the stepper driver's phase at the endstop trigger (from the TMC driver's phase offset,
// or the MCU step position). With a trigger_phase the homed position is corrected to that phase;
// ENDSTOP_PHASE_CALIBRATE reports the phase statistics and proposes trigger_phase.
import { ConfigError } from "../../core/config/errors.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { GCodeError } from "../../core/gcode/errors.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { parseStepDistance } from "../../motion/stepper.ts";

const TMC_DRIVERS = ["tmc2130", "tmc2208", "tmc2209", "tmc2240", "tmc2660", "tmc5160"];

interface PhaseSource {
  getPhaseOffset(): [number | null, number];
}
interface NamedStepper {
  getName(): string;
}
interface HomingState {
  getTriggerPosition(name: string): number;
  setStepperAdjustment(name: string, adjustment: number): void;
}
interface Rail {
  getEndstops(): [{ getSteppers(): NamedStepper[] }, string][];
  getSteppers(): NamedStepper[];
  getHomingInfo(): { positionEndstop: number };
}

/** Phase of a stepper at endstop triggers, with a histogram for calibration. */
class PhaseCalc {
  tmc: PhaseSource | null = null;
  history: number[] | null = null;
  lastPhase: number | null = null;
  lastMcuPosition: number | null = null;
  isPrimary = false;
  statsOnly = false;

  constructor(private readonly printer: Printer, readonly name: string, public phases: number | null = null) {}

  lookupTmc(): void {
    for (const d of TMC_DRIVERS) {
      const m = this.printer.lookupObject<PhaseSource | null>(`${d} ${this.name}`, null);
      if (!m) continue;
      this.tmc = m;
      if (this.phases === null) this.phases = m.getPhaseOffset()[1];
      break;
    }
    if (this.phases !== null) this.history = new Array(this.phases).fill(0);
  }

  convertPhase(driverPhase: number, driverPhases: number): number {
    return Math.trunc((driverPhase / driverPhases) * this.phases! + 0.5) % this.phases!;
  }

  calcPhase(trigMcuPos: number): number {
    let offset = 0;
    if (this.tmc) {
      const [o] = this.tmc.getPhaseOffset();
      if (o === null) {
        if (this.printer.startArgs.debugoutput === undefined) throw new GCodeError(`Stepper ${this.name} phase unknown`);
      } else offset = o;
    }
    const phase = (((trigMcuPos + offset) % this.phases!) + this.phases!) % this.phases!;
    this.history![phase]!++;
    this.lastPhase = phase;
    this.lastMcuPosition = trigMcuPos;
    return phase;
  }
}

class EndstopPhase {
  readonly name: string;
  readonly calc: PhaseCalc;
  private readonly stepDist: number;
  private readonly phases: number;
  private endstopPhase: number | null = null;
  private readonly alignZero: boolean;
  private accuracy: number;

  constructor(config: ConfigSection, printer: Printer) {
    this.name = config.getName().split(/\s+/).slice(1).join(" ");
    const sconfig = config.getSection(this.name);
    const [rotation, steps] = parseStepDistance(sconfig);
    this.stepDist = rotation / steps;
    this.phases = sconfig.getInt("microsteps", undefined, { noteValid: false }) * 4;
    this.calc = new PhaseCalc(printer, this.name, this.phases);
    printer.registerEventHandler("klippy:connect", () => this.calc.lookupTmc());
    printer.registerEventHandler("homing:home_rails_end", (h: HomingState, rails: Rail[]) => this.homeRailsEnd(h, rails));
    printer.loadObject("endstop_phase");
    const trigger = config.get("trigger_phase", null);
    if (trigger !== null) {
      const [p, ps] = config.getIntList("trigger_phase", undefined, { sep: "/", count: 2 }) as [number, number];
      if (p >= ps) throw new ConfigError(`Invalid trigger_phase '${trigger}' in section '${config.getName()}'`);
      this.endstopPhase = this.calc.convertPhase(p, ps);
    }
    this.alignZero = config.getBoolean("endstop_align_zero", false);
    const acc = config.getFloat("endstop_accuracy", null, { above: 0 });
    if (acc === null) this.accuracy = Math.floor(this.phases / 2) - 1;
    else if (this.endstopPhase !== null) this.accuracy = Math.ceil((acc * 0.5) / this.stepDist);
    else this.accuracy = Math.ceil(acc / this.stepDist);
    if (this.accuracy >= Math.floor(this.phases / 2)) throw new ConfigError(`Endstop for ${this.name} is not accurate enough for stepper phase adjustment`);
    if (printer.startArgs.debugoutput !== undefined) this.accuracy = this.phases;
  }

  /** Offset that puts position 0 on a full step (endstop_align_zero). */
  private align(rail: Rail): number {
    if (!this.alignZero || this.endstopPhase === null) return 0;
    const microsteps = Math.floor(this.phases / 4);
    const half = Math.floor(microsteps / 2);
    const phaseOffset = (((this.endstopPhase + half) % microsteps) - half) * this.stepDist;
    const fullStep = microsteps * this.stepDist;
    const pe = rail.getHomingInfo().positionEndstop;
    return Math.trunc(pe / fullStep + 0.5) * fullStep - pe + phaseOffset;
  }

  private homedOffset(trigMcuPos: number): number {
    const phase = this.calc.calcPhase(trigMcuPos);
    if (this.endstopPhase === null) {
      this.endstopPhase = phase;
      return 0;
    }
    let delta = (((phase - this.endstopPhase) % this.phases) + this.phases) % this.phases;
    if (delta >= this.phases - this.accuracy) delta -= this.phases;
    else if (delta > this.accuracy) throw new GCodeError(`Endstop ${this.name} incorrect phase (got ${phase} vs ${this.endstopPhase})`);
    return delta * this.stepDist;
  }

  private homeRailsEnd(h: HomingState, rails: Rail[]): void {
    for (const rail of rails) {
      const stepper = rail.getEndstops()[0]?.[0].getSteppers()[0];
      if (stepper?.getName() !== this.name) continue;
      const trig = h.getTriggerPosition(this.name);
      h.setStepperAdjustment(this.name, this.align(rail) + this.homedOffset(trig));
      return;
    }
  }
}

class EndstopPhases {
  private readonly tracking = new Map<string, PhaseCalc>();

  constructor(private readonly printer: Printer) {
    printer.registerEventHandler("homing:home_rails_end", (h: HomingState, rails: Rail[]) => this.homeRailsEnd(h, rails));
    printer.gcode.register("ENDSTOP_PHASE_CALIBRATE", (g) => this.cmdCalibrate(g), { desc: "Calibrate stepper phase" });
  }

  private update(stepper: NamedStepper, trig: number, primary: boolean): void {
    const name = stepper.getName();
    let calc = this.tracking.get(name);
    if (!calc) {
      calc = this.printer.lookupObject<EndstopPhase | null>(`endstop_phase ${name}`, null)?.calc;
      if (!calc) {
        calc = new PhaseCalc(this.printer, name);
        calc.statsOnly = true;
        calc.lookupTmc();
      }
      this.tracking.set(name, calc);
    }
    if (calc.history === null) return;
    if (primary) calc.isPrimary = true;
    if (calc.statsOnly) calc.calcPhase(trig);
  }

  private homeRailsEnd(h: HomingState, rails: Rail[]): void {
    for (const rail of rails) rail.getSteppers().forEach((s, i) => this.update(s, h.getTriggerPosition(s.getName()), i === 0));
  }

  /** The phase with the smallest spread of triggers around it, and the range seen. */
  private stats(name: string, calc: PhaseCalc): [number, number] {
    const hist = calc.history!;
    const wph = [...hist, ...hist];
    const phases = hist.length;
    const half = Math.floor(phases / 2);
    const res: [number, number][] = [];
    for (let i = 0; i < phases; i++) {
      const phase = i + half;
      let cost = 0;
      for (let j = i; j < i + phases; j++) cost += wph[j]! * Math.abs(j - phase);
      res.push([cost, phase]);
    }
    res.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const best = res[0]![1];
    const found: number[] = [];
    for (let j = best - half; j < best + half; j++) if (wph.at(j)) found.push(j);
    const bestPhase = best % phases;
    const lo = ((found[0]! % phases) + phases) % phases;
    const hi = ((found.at(-1)! % phases) + phases) % phases;
    this.printer.gcode.respondInfo(`${name}: trigger_phase=${bestPhase}/${phases} (range ${lo} to ${hi})`);
    return [bestPhase, phases];
  }

  private cmdCalibrate(g: GCodeCommand): void {
    const name = g.get("STEPPER", null);
    if (name === null) {
      if (!this.tracking.size) {
        g.respondInfo("No steppers found. (Be sure to home at least once.)");
        return;
      }
      for (const n of [...this.tracking.keys()].sort()) {
        const c = this.tracking.get(n)!;
        if (c.isPrimary && c.history) this.stats(n, c);
      }
      return;
    }
    const calc = this.tracking.get(name);
    if (!calc?.history) throw g.error(`Stats not available for stepper ${name}`);
    const [phase, phases] = this.stats(name, calc);
    if (!calc.isPrimary) return;
    const autosave = this.printer.config.autosave;
    const section = `endstop_phase ${name}`;
    autosave.removeSection(section);
    autosave.set(section, "trigger_phase", `${phase}/${phases}`);
    g.respondInfo("The SAVE_CONFIG command will update the printer config\nfile with these parameters and restart the printer.");
  }

  getStatus(): Record<string, unknown> {
    const lastHome: Record<string, unknown> = {};
    for (const [name, c] of this.tracking) if (c.history) lastHome[name] = { phase: c.lastPhase, phases: c.phases, mcu_position: c.lastMcuPosition };
    return { last_home: lastHome };
  }
}

registerModule("endstop_phase", (_config, printer) => new EndstopPhases(printer));
registerModule("endstop_phase ", (config, printer) => new EndstopPhase(config, printer));
