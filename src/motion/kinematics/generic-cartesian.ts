// Generic cartesian kinematics (Klipper's generic_cartesian.py + kinematic_stepper.py):
// [carriage NAME] rails per axis, [dual_carriage NAME] (IDEX) and [extra_carriage NAME]
// extra endstops, and [stepper NAME] motors whose `carriages:` expression (e.g.
// "carriage_x+carriage_y", "0.5*cx-cy") gives the stepper's linear combination of axes.
// Command: SET_STEPPER_CARRIAGES.

import { type MaybePromise, runMaybeAsync } from "../../util/maybe-async.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import { ConfigError } from "../../core/config/errors.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { GenericCartesianStepperKinematics } from "../steps/stepper-kinematics/generic.ts";
import { dot, gaussianSolve, pseudoInverse, transpose } from "../steps/linalg.ts";
import { PrinterRail } from "../rail.ts";
import { printerStepper, type McuStepper } from "../stepper.ts";
import { DualCarriages, PRIMARY } from "./idex-modes.ts";
import type { Kinematics, KinematicsEnv, KinematicsHost, KinHomingState, KinMove } from "./types.ts";
import { checkCartesianMove, clearAxisLimits, homeLinearAxis, UNHOMED } from "./rail-kinematics.ts";

const VALID_AXES = ["x", "y", "z"];
type ErrorFn = (msg: string) => Error;

interface Carriage {
  getName(): string;
  getAxis(): number;
  getRail(): PrinterRail<any>;
  addStepper(ks: KinematicStepper): void;
}

class MainCarriage implements Carriage {
  readonly rail: PrinterRail<any>;
  readonly axisName: string;
  readonly axis: number;
  dualCarriage: DualCarriage | null = null;
  constructor(config: ConfigSection, env: KinematicsEnv, private readonly dcModule: () => DualCarriages | null) {
    this.rail = new PrinterRail(config, env.services);
    const name = this.rail.getName(true);
    this.axisName = VALID_AXES.includes(name) ? config.getChoice("axis", VALID_AXES, name) : config.getChoice("axis", VALID_AXES);
    this.axis = this.axisName.charCodeAt(0) - 120;
  }
  getName(): string { return this.rail.getName(true); }
  getAxis(): number { return this.axis; }
  getRail(): PrinterRail<any> { return this.rail; }
  addStepper(ks: KinematicStepper): void { this.rail.addStepper(ks.stepper); }
  isActive(): boolean { return this.dualCarriage === null || this.dcModule()!.isActive(this.rail); }
}

class ExtraCarriage implements Carriage {
  readonly name: string;
  readonly primary: Carriage;
  private readonly endstopPin: string;
  constructor(config: ConfigSection, carriages: Map<string, Carriage>) {
    this.name = config.getName().split(/\s+/).pop()!;
    const choice = config.get("primary_carriage");
    const primary = carriages.get(choice);
    if (!primary)
      throw new ConfigError(`Choice '${choice}' for option 'primary_carriage' in section '${config.getName()}' is not a valid choice`);
    this.primary = primary;
    this.endstopPin = config.get("endstop_pin");
  }
  getName(): string { return this.name; }
  getAxis(): number { return this.primary.getAxis(); }
  getRail(): PrinterRail<any> { return this.primary.getRail(); }
  addStepper(ks: KinematicStepper): void { this.getRail().addStepper(ks.stepper, this.endstopPin, this.name); }
}

class DualCarriage implements Carriage {
  readonly rail: PrinterRail<any>;
  readonly primaryCarriageName: string | null;
  axisName: string | null;
  axis = 0;
  readonly safeDist: number | null;
  primaryCarriage: MainCarriage | DualCarriage | null = null;
  dualCarriage: DualCarriage | null = null;
  constructor(config: ConfigSection, env: KinematicsEnv, private readonly dcModule: () => DualCarriages | null) {
    this.rail = new PrinterRail(config, env.services);
    this.primaryCarriageName = config.get("primary_carriage", null);
    if (this.primaryCarriageName === null) {
      this.axisName = config.getChoice("axis", VALID_AXES);
      this.axis = this.axisName.charCodeAt(0) - 120;
      this.safeDist = null;
    } else {
      this.axisName = config.get("axis", null);
      if (this.axisName !== null && !VALID_AXES.includes(this.axisName))
        throw new ConfigError(`Choice '${this.axisName}' for option 'axis' in section '${config.getName()}' is not a valid choice`);
      this.safeDist = config.getFloat("safe_distance", null, { minval: 0. });
    }
  }
  resolvePrimaryCarriage(carriages: Map<string, Carriage>): void {
    if (this.primaryCarriageName === null) return;
    const pc = carriages.get(this.primaryCarriageName);
    if (!(pc instanceof MainCarriage || pc instanceof DualCarriage))
      throw new ConfigError(`primary_carriage = '${this.primaryCarriageName}' for '${this.getName()}' is not a valid choice`);
    this.primaryCarriage = pc;
    const pcAxisName = pc instanceof MainCarriage ? pc.axisName : pc.axisName!;
    const axisName = this.axisName ?? pcAxisName;
    if (axisName !== pcAxisName)
      throw new ConfigError(`Mismatching axes between carriage '${pc.getName()}' (axis=${pcAxisName}) and dual_carriage '${this.getName()}' (axis=${axisName})`);
    if (pc.dualCarriage)
      throw new ConfigError(`Multiple dual carriages ('${pc.dualCarriage.getName()}', '${this.getName()}') for carriage '${pc.getName()}'`);
    pc.dualCarriage = this;
    this.axis = pc.getAxis();
    if (this.axis > 1) throw new ConfigError(`Invalid axis '${"xyz"[this.axis]}' for dual_carriage '${this.getName()}'`);
  }
  getName(): string { return this.rail.getName(true); }
  getAxis(): number { return this.axis; }
  getRail(): PrinterRail<any> { return this.rail; }
  getDualCarriage(): Carriage | null { return this.dualCarriage ?? this.primaryCarriage; }
  addStepper(ks: KinematicStepper): void { this.rail.addStepper(ks.stepper); }
  isActive(): boolean { return this.dcModule()!.isActive(this.rail); }
}

/** Parse "a*c1 + c2 - c3" into per-axis coefficients and the carriages referenced. */
export function parseCarriagesString(str: string, carriages: Map<string, Carriage>, error: ErrorFn): [number[], Carriage[]] {
  const coeffs = [0., 0., 0.];
  const refs: Carriage[] = [];
  let nxt = 0;
  while (nxt < str.length) {
    const rest = str.slice(nxt + 1).search(/[+-]/);
    const end = rest < 0 ? str.length : nxt + 1 + rest;
    const term = str.slice(nxt, end).trim();
    const parts = term.split("*");
    if (parts.length !== 1 && parts.length !== 2) throw error(`Invalid term '${term}' in '${str}'`);
    let coeff: number;
    if (parts.length === 2) {
      const t = parts[0]!.trim();
      coeff = Number(t);
      if (t === "" || !Number.isFinite(coeff)) throw error(`Invalid float '${parts[0]}'`);
    } else {
      coeff = parts[0]!.startsWith("-") ? -1. : 1.;
      if (parts[0]!.startsWith("-") || parts[0]!.startsWith("+")) parts[0] = parts[0]!.slice(1);
    }
    const c = parts[parts.length - 1]!;
    const carriage = carriages.get(c);
    if (!carriage) throw error(`Invalid '${c}' carriage referenced in '${str}'`);
    const j = carriage.getAxis();
    if (coeffs[j]) throw error(`Axis '${"xyz"[j]}' was referenced multiple times by carriages in '${str}'`);
    coeffs[j] = coeff;
    refs.push(carriage);
    nxt = end;
  }
  return [coeffs, refs];
}

class KinematicStepper {
  readonly stepper: McuStepper;
  kinCoeffs: number[];
  carriages: Carriage[];
  private readonly sk: GenericCartesianStepperKinematics;
  constructor(config: ConfigSection, carriages: Map<string, Carriage>, env: KinematicsEnv) {
    this.stepper = printerStepper(config, env.services);
    [this.kinCoeffs, this.carriages] = parseCarriagesString(config.get("carriages"), carriages, (m) => new ConfigError(m));
    if (!this.kinCoeffs.some((c) => c))
      throw new ConfigError(`'${this.stepper.getName()}' must provide a valid 'carriages' configuration`);
    this.sk = new GenericCartesianStepperKinematics(this.kinCoeffs[0]!, this.kinCoeffs[1]!, this.kinCoeffs[2]!);
    this.stepper.setStepperKinematics(this.sk);
    for (const c of this.carriages) c.addStepper(this);
  }
  getName(short = false): string {
    const name = this.stepper.getName(short);
    return short && name.startsWith("stepper ") ? name.slice(8) : name;
  }
  updateKinCoeffs(coeffs: number[]): void {
    this.kinCoeffs = coeffs;
    this.sk.setCoeffs(coeffs[0]!, coeffs[1]!, coeffs[2]!);
  }
  updateCarriages(str: string, carriages: Map<string, Carriage>, error: ErrorFn): void {
    const [coeffs, refs] = parseCarriagesString(str, carriages, error);
    if (!coeffs.some((c) => c))
      throw error(`A valid string that references at least one carriage must be provided for '${this.getName()}'`);
    this.carriages = refs;
    this.updateKinCoeffs(coeffs);
  }
}

export class GenericCartesianKinematics implements Kinematics {
  private readonly host: KinematicsHost;
  private readonly carriages = new Map<string, MainCarriage | DualCarriage>();
  private readonly allCarriages = new Map<string, Carriage>();
  private readonly primaryCarriages: MainCarriage[] = [];
  private readonly dcCarriages: DualCarriage[] = [];
  private readonly kinSteppers: KinematicStepper[];
  private dcModule: DualCarriages | null = null;
  private limits: [number, number][] = [UNHOMED, UNHOMED, UNHOMED];
  private readonly maxZVelocity: number;
  private readonly maxZAccel: number;

  constructor(env: KinematicsEnv) {
    if (!env.host) throw new ConfigError("generic_cartesian kinematics need printer services (KinematicsEnv.host)");
    this.host = env.host;
    const dcm = () => this.dcModule;
    const config = env.config;
    for (const c of env.sections.getPrefixSections("carriage ")) this.primaryCarriages.push(new MainCarriage(c, env, dcm));
    VALID_AXES.forEach((axisName, axis) => {
      const dups = this.primaryCarriages.filter((pc) => pc.getAxis() === axis).map((pc) => pc.getName());
      if (dups.length > 1) throw new ConfigError(`Axis '${axisName}' is set for multiple primary carriages (${dups.join(", ")})`);
      if (!dups.length) throw new ConfigError(`No carriage defined for axis '${axisName}'`);
    });
    for (const c of env.sections.getPrefixSections("dual_carriage ")) this.dcCarriages.push(new DualCarriage(c, env, dcm));
    for (const c of [...this.primaryCarriages, ...this.dcCarriages]) {
      if (this.carriages.has(c.getName())) throw new ConfigError(`Redefinition of carriage ${c.getName()}`);
      this.carriages.set(c.getName(), c);
    }
    for (const dc of this.dcCarriages) dc.resolvePrimaryCarriage(this.carriages);
    const all = new Map<string, Carriage>(this.carriages);
    for (const c of env.sections.getPrefixSections("extra_carriage ")) {
      const ec = new ExtraCarriage(c, all);
      if (all.has(ec.getName())) throw new ConfigError(`Redefinition of carriage ${ec.getName()}`);
      all.set(ec.getName(), ec);
    }
    this.kinSteppers = env.sections.getPrefixSections("stepper ").map((c) => new KinematicStepper(c, all, env));
    for (const [k, v] of all) this.allCarriages.set(k, v);
    this.checkCarriageReferences();
    this.checkMultiMcuHoming();
    for (const s of this.getSteppers()) s.setTrapq(env.toolhead.trapq);
    if (this.dcCarriages.length) this.setupDualCarriages();
    else this.checkKinematics((m) => new ConfigError(m));
    const [maxVelocity, maxAccel] = env.toolhead.getMaxVelocity();
    this.maxZVelocity = config.getFloat("max_z_velocity", maxVelocity, { above: 0., maxval: maxVelocity });
    this.maxZAccel = config.getFloat("max_z_accel", maxAccel, { above: 0., maxval: maxAccel });
    this.host.gcode.register("SET_STEPPER_CARRIAGES", (g) => this.cmdSetStepperCarriages(g), { desc: "Set stepper carriages" });
  }

  private setupDualCarriages(): void {
    const dcAxes = new Set(this.dcCarriages.map((dc) => dc.getAxis()));
    const pcs: (MainCarriage | DualCarriage)[] = [
      ...this.primaryCarriages.filter((pc) => dcAxes.has(pc.getAxis())),
      ...this.dcCarriages.filter((dc) => dc.primaryCarriage === null),
    ];
    const dcs = pcs.map((pc) => pc instanceof DualCarriage ? pc.getDualCarriage() as DualCarriage | null : pc.dualCarriage);
    const dcModule = this.dcModule = new DualCarriages(this.host, pcs.map((pc) => pc.getRail()),
      dcs.map((dc) => dc ? dc.getRail() : null), pcs.map((pc) => pc.getAxis()), dcs.map((dc) => dc ? dc.safeDist : null));
    const zero = [0., 0.];
    // Every combination of one carriage per pair must give independent axes
    const pairs = pcs.map((pc, i) => [pc, dcs[i]] as const);
    const combos = pairs.reduce<(Carriage | null)[][]>((acc, pair) => acc.flatMap((a) => pair.map((c) => [...a, c])), [[]]);
    for (const acs of combos) {
      for (const c of acs) {
        if (!c) continue;
        dcModule.getDcRailWrapper(c.getRail())!.activate(PRIMARY, zero);
        const dc = c instanceof DualCarriage ? c.getDualCarriage() : (c as MainCarriage).dualCarriage;
        if (dc) dcModule.getDcRailWrapper(dc.getRail())!.inactivate(zero);
      }
      this.checkKinematics((m) => new ConfigError(m));
    }
    for (const dc of this.dcCarriages) dcModule.getDcRailWrapper(dc.getRail())!.inactivate(zero);
    for (const pc of this.primaryCarriages)
      if (dcAxes.has(pc.getAxis())) dcModule.getDcRailWrapper(pc.getRail())!.activate(PRIMARY, zero);
  }

  private checkCarriageReferences(): void {
    const unref = new Set(this.allCarriages.keys());
    for (const s of this.kinSteppers) for (const c of s.carriages) unref.delete(c.getName());
    if (unref.size) throw new ConfigError(`Carriage(s) ${[...unref].join(", ")} must be referenced by some stepper(s)`);
  }

  private checkMultiMcuHoming(): void {
    for (const carriage of this.carriages.values()) {
      const railSteppers = carriage.getRail().getSteppers();
      for (const [es, name] of carriage.getRail().getEndstops()) {
        const esSteppers: McuStepper[] = (es as { getSteppers?(): McuStepper[] }).getSteppers?.() ?? [];
        const mcus = new Set(esSteppers.filter((s) => railSteppers.includes(s)).map((s) => s.getMcu()));
        if (mcus.size > 1) throw new ConfigError(`Multi-mcu homing not supported on multi-mcu shared carriage ${name}`);
      }
    }
  }

  getSteppers(): McuStepper[] { return this.kinSteppers.map((s) => s.stepper); }
  getRails(): PrinterRail<any>[] { return [...this.carriages.values()].map((c) => c.getRail()); }

  /** Stepper-by-axis coefficient matrix and offsets under the current dual-carriage modes. */
  private kinematicsCoeffs(): [number[][], number[]] {
    const matr = new Map(this.kinSteppers.map((s) => [s.getName(), [...s.kinCoeffs]]));
    if (!this.dcModule) return [this.kinSteppers.map((s) => matr.get(s.getName())!), this.kinSteppers.map(() => 0.)];
    const offs = new Map(this.kinSteppers.map((s) => [s.getName(), [0., 0., 0.]]));
    const orig = new Map(this.kinSteppers.map((s) => [s.getName(), [...s.kinCoeffs]]));
    const dcAxes = this.dcModule.getAxes();
    for (const c of this.carriages.values()) {
      const axis = c.getAxis();
      if (!dcAxes.includes(axis)) continue;
      const [m, o] = this.dcModule.getTransform(c.getRail());
      for (const s of c.getRail().getSteppers()) {
        const row = matr.get(s.getName())!, off = offs.get(s.getName())!;
        row[axis] = row[axis]! * m;
        off[axis] = off[axis]! + o;
      }
    }
    return [this.kinSteppers.map((s) => matr.get(s.getName())!),
      this.kinSteppers.map((s) => dot(orig.get(s.getName())!, offs.get(s.getName())!))];
  }

  private checkKinematics(error: ErrorFn): void {
    const [matr] = this.kinematicsCoeffs();
    const mt = transpose(matr);
    const mtm = mt.map((ri) => mt.map((rj) => dot(ri, rj)));
    if (gaussianSolve(mtm, mtm.map(() => [])) === null)
      throw error("Verify configured stepper(s) and their 'carriages' specifications, the current configuration does not allow independent movements of all printer axes.");
  }

  calcPosition(stepperPositions: Record<string, number>): (number | null)[] {
    const [matr, offs] = this.kinematicsCoeffs();
    const spos = this.kinSteppers.map((s, i) => stepperPositions[s.getName()]! - offs[i]!);
    const pinv = pseudoInverse(matr);
    if (!pinv) return [null, null, null];
    return pinv.map((row) => row.some((v) => v) ? dot(spos, row) : null);
  }

  updateLimits(axis: number, range: [number, number]): void {
    const [l, h] = this.limits[axis]!;
    if (l <= h) this.limits[axis] = range; // only when already homed
  }

  setPosition(newpos: readonly number[], homingAxes: string): void {
    for (const s of this.kinSteppers) s.stepper.setPosition(newpos);
    for (const a of homingAxes) {
      const axis = "xyz".indexOf(a);
      for (const c of this.carriages.values())
        if (c.getAxis() === axis && c.isActive()) { this.limits[axis] = c.getRail().getRange(); break; }
    }
  }

  clearHomingState(axes: string): void {
    clearAxisLimits(this.limits, axes);
  }

  homeAxis(homingState: KinHomingState, axis: number, rail: PrinterRail<any>): MaybePromise<void> {
    return homeLinearAxis(homingState, axis, rail);
  }

  home(homingState: KinHomingState): MaybePromise<void> {
    this.checkKinematics((m) => new Error(m));
    return runMaybeAsync(this.homeAxes(homingState));
  }

  private *homeAxes(homingState: KinHomingState): Generator<unknown, void, unknown> {
    const primary = new Map(this.primaryCarriages.map((c) => [c.getAxis(), c]));
    for (const axis of homingState.getAxes()) {
      if (this.dcModule && this.dcModule.getAxes().includes(axis)) yield this.dcModule.home(homingState, axis);
      else yield this.homeAxis(homingState, axis, primary.get(axis)!.getRail());
    }
  }

  checkMove(move: KinMove): void {
    checkCartesianMove(move, this.limits, this.maxZVelocity, this.maxZAccel);
  }

  getStatus(): Record<string, unknown> {
    const homed = [0, 1, 2].filter((i) => this.limits[i]![0] <= this.limits[i]![1]).map((i) => "xyz"[i]).join("");
    const cs = [...this.carriages.values()];
    const mins = [0, 1, 2].map((axis) => Math.min(...cs.filter((c) => c.getAxis() === axis).map((c) => c.getRail().getRange()[0])));
    const maxs = [0, 1, 2].map((axis) => Math.max(...cs.filter((c) => c.getAxis() === axis).map((c) => c.getRail().getRange()[1])));
    return { homed_axes: homed, axis_minimum: [...mins, 0], axis_maximum: [...maxs, 0] };
  }

  private cmdSetStepperCarriages(g: GCodeCommand): void {
    const toolhead = this.host.lookupObject<{ flushStepGeneration(): void; getPosition(): number[] }>("toolhead");
    toolhead.flushStepGeneration();
    const name = g.get("STEPPER");
    const matches = this.kinSteppers.filter((s) => s.getName() === name || s.getName(true) === name);
    if (matches.length !== 1) throw g.error(`Invalid STEPPER '${name}' specified`);
    const stepper = matches[0]!;
    const carriagesStr = g.get("CARRIAGES").toLowerCase();
    const validate = !g.getInt("DISABLE_CHECKS", 0);
    const oldCarriages = stepper.carriages, oldCoeffs = [...stepper.kinCoeffs];
    stepper.updateCarriages(carriagesStr, this.allCarriages, (m) => g.error(m));
    const same = stepper.carriages.length === oldCarriages.length && stepper.carriages.every((c, i) => c === oldCarriages[i]);
    if (!same) {
      stepper.carriages = oldCarriages;
      stepper.updateKinCoeffs(oldCoeffs);
      throw g.error("SET_STEPPER_CARRIAGES cannot add or remove carriages that the stepper controls");
    }
    const pos = toolhead.getPosition();
    stepper.stepper.setPosition(pos);
    if (!validate) return;
    const dcModule = this.dcModule;
    if (!dcModule) { this.checkKinematics((m) => g.error(m)); return; }
    const state = dcModule.saveDualCarriageState();
    const pcs = this.dcCarriages.map((dc) => dc.getDualCarriage()!);
    const pairs = pcs.map((pc, i) => [pc, this.dcCarriages[i]!] as const);
    const combos = pairs.reduce<Carriage[][]>((acc, pair) => acc.flatMap((a) => pair.map((c) => [...a, c])), [[]]);
    for (const acs of combos) {
      for (const c of acs) {
        dcModule.getDcRailWrapper(c.getRail())!.activate(PRIMARY, pos);
        const other = c instanceof DualCarriage ? c.getDualCarriage() : (c as MainCarriage).dualCarriage;
        if (other) dcModule.getDcRailWrapper(other.getRail())!.inactivate(pos);
      }
      this.checkKinematics((m) => g.error(m));
    }
    dcModule.restoreDualCarriageState(state, 0);
  }
}
