// Base of the kinematics whose axes each have one rail with a range (cartesian, corexy,
// corexz, hybrid corexy/corexz): per-axis homed limits, range checks with Klipper's
// errors, Z speed limiting, independent per-axis homing.
import { type MaybePromise, runMaybeAsync } from "../../util/maybe-async.ts";
import { ConfigError } from "../../core/config/errors.ts";
import { lookupMultiRail, lookupRail, type PrinterRail } from "../rail.ts";
import type { McuStepper } from "../stepper.ts";
import type { StepperKinematics } from "../steps/itersolve.ts";
import { DualCarriages } from "./idex-modes.ts";
import type { Kinematics, KinematicsEnv, KinHomingState, KinMove } from "./types.ts";

/** Limits of an unhomed axis: min > max, so every move on it is out of range. */
export const UNHOMED: [number, number] = [1.0, -1.0];

export abstract class RailKinematics implements Kinematics {
  protected readonly rails: PrinterRail<any>[] = [];
  protected limits: [number, number][] = [UNHOMED, UNHOMED, UNHOMED];
  protected axesMin: number[] = [0, 0, 0, 0];
  protected axesMax: number[] = [0, 0, 0, 0];
  protected maxZVelocity = 0;
  protected maxZAccel = 0;
  /** [dual_carriage] (IDEX) support: the axis it doubles and the mode manager. */
  protected dcAxis = -1;
  protected dcModule: DualCarriages | null = null;

  /**
   * Add the [dual_carriage] rail (as rails[3]) when configured; `make` gives its stepper
   * kinematics for the chosen axis. Returns the axis, or -1 without a dual carriage.
   */
  protected setupDualCarriage(env: KinematicsEnv, axes: readonly string[], make: (axis: string) => StepperKinematics,
                              beforeModule?: (dcRail: PrinterRail<any>) => void, multiRail = true): number {
    if (!env.sections.hasSection("dual_carriage")) return -1;
    if (!env.host) throw new ConfigError("[dual_carriage] needs printer services (KinematicsEnv.host)");
    const dcConfig = env.sections.getSection("dual_carriage");
    const dcAxisName = axes.length > 1 ? dcConfig.getChoice("axis", [...axes]) : dcConfig.getChoice("axis", [...axes], axes[0]);
    const axis = "xyz".indexOf(dcAxisName);
    const rail = multiRail ? lookupMultiRail(dcConfig, env.sections, env.services) : lookupRail(dcConfig, env.services);
    rail.setupItersolve(() => make(dcAxisName));
    this.rails.push(rail);
    beforeModule?.(rail);
    this.dcAxis = axis;
    this.dcModule = new DualCarriages(env.host, [this.rails[axis]!], [rail], [axis],
      [dcConfig.getFloat("safe_distance", null, { minval: 0. })]);
    return axis;
  }

  /** The rail currently driving `axis` (the PRIMARY dual carriage where there is one). */
  protected activeRail(axis: number): PrinterRail<any> {
    if (this.dcModule && axis === this.dcAxis) return this.dcModule.getPrimaryRail(axis) ?? this.rails[axis]!;
    return this.rails[axis]!;
  }

  updateLimits(axis: number, range: [number, number]): void {
    const [l, h] = this.limits[axis]!;
    if (l <= h) this.limits[axis] = range; // only when already homed
  }

  /** Read max_z_velocity / max_z_accel (after the rails, as Klipper does). */
  protected readZLimits(env: KinematicsEnv): void {
    const [maxVelocity, maxAccel] = env.toolhead.getMaxVelocity();
    this.maxZVelocity = env.config.getFloat("max_z_velocity", maxVelocity, { above: 0., maxval: maxVelocity });
    this.maxZAccel = env.config.getFloat("max_z_accel", maxAccel, { above: 0., maxval: maxAccel });
  }

  protected noteRanges(): void {
    const ranges = this.rails.slice(0, 3).map((r) => r.getRange());
    this.axesMin = [...ranges.map((r) => r[0]), 0];
    this.axesMax = [...ranges.map((r) => r[1]), 0];
  }

  protected attachTrapq(env: KinematicsEnv): void {
    for (const s of this.getSteppers()) s.setTrapq(env.toolhead.trapq);
  }

  getRails(): PrinterRail<any>[] { return [...this.rails]; }
  getSteppers(): McuStepper[] { return this.rails.flatMap((r) => r.getSteppers()); }

  abstract calcPosition(stepperPositions: Record<string, number>): (number | null)[];

  setPosition(newpos: readonly number[], homingAxes: string): void {
    for (const rail of this.rails) rail.setPosition(newpos);
    for (const a of homingAxes) {
      const axis = "xyz".indexOf(a);
      if (axis >= 0) this.limits[axis] = this.activeRail(axis).getRange();
    }
  }

  clearHomingState(axes: string): void {
    clearAxisLimits(this.limits, axes);
  }

  homeAxis(homingState: KinHomingState, axis: number, rail: PrinterRail<any>): MaybePromise<void> {
    return homeLinearAxis(homingState, axis, rail);
  }

  home(homingState: KinHomingState): MaybePromise<void> {
    return runMaybeAsync(this.homeAxes(homingState));
  }

  private *homeAxes(homingState: KinHomingState): Generator<unknown, void, unknown> {
    for (const axis of homingState.getAxes()) {
      if (this.dcModule && axis === this.dcAxis) yield this.dcModule.home(homingState, axis);
      else yield this.homeAxis(homingState, axis, this.rails[axis]!);
    }
  }

  checkMove(move: KinMove): void {
    checkCartesianMove(move, this.limits, this.maxZVelocity, this.maxZAccel);
  }

  getStatus(): Record<string, unknown> {
    const homed = [0, 1, 2].filter((i) => this.limits[i]![0] <= this.limits[i]![1]).map((i) => "xyz"[i]).join("");
    return { homed_axes: homed, axis_minimum: [...this.axesMin], axis_maximum: [...this.axesMax] };
  }
}

/** Home one linear axis on its rail: start 1.5 travel lengths beyond the endstop side, end at position_endstop. */
export function homeLinearAxis(homingState: KinHomingState, axis: number, rail: PrinterRail<any>): MaybePromise<void> {
  const [positionMin, positionMax] = rail.getRange();
  const hi = rail.getHomingInfo();
  const homepos: (number | null)[] = [null, null, null, null];
  homepos[axis] = hi.positionEndstop;
  const forcepos = [...homepos];
  if (hi.positiveDir) forcepos[axis] = forcepos[axis]! - 1.5 * (hi.positionEndstop - positionMin);
  else forcepos[axis] = forcepos[axis]! + 1.5 * (positionMax - hi.positionEndstop);
  return homingState.homeRails([rail], forcepos, homepos);
}

/** Forget the limits of the named axes ("xz"): they are unhomed until homed again. */
export function clearAxisLimits(limits: [number, number][], axes: string): void {
  for (let axis = 0; axis < 3; axis++) if (axes.includes("xyz"[axis]!)) limits[axis] = UNHOMED;
}

/** Per-axis limits of a cartesian-style machine, and the Z speed limits when a move has Z travel. */
export function checkCartesianMove(move: KinMove, limits: [number, number][], maxZVelocity: number, maxZAccel: number): void {
  const x = move.endPos[0]!, y = move.endPos[1]!;
  if (x < limits[0]![0] || x > limits[0]![1] || y < limits[1]![0] || y > limits[1]![1]) checkAxisLimits(move, limits);
  if (!move.axesD[2]) return; // XY move: toolhead limits apply
  checkAxisLimits(move, limits);
  const zRatio = move.moveD / Math.abs(move.axesD[2]!);
  move.limitSpeed(maxZVelocity * zRatio, maxZAccel * zRatio);
}

function checkAxisLimits(move: KinMove, limits: [number, number][]): void {
  const ep = move.endPos;
  for (let i = 0; i < 3; i++) {
    const [lo, hi] = limits[i]!;
    if (move.axesD[i] && (ep[i]! < lo || ep[i]! > hi)) {
      if (lo > hi) throw move.moveError("Must home axis first");
      throw move.moveError();
    }
  }
}
