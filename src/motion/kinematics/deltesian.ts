// Deltesian kinematics (Klipper's kinematics/deltesian.py): two pillars ([stepper_left],
// [stepper_right]) with arms give x and z, [stepper_y] is cartesian. X and Z home together
// at the top; moves near the x extremes are slowed (slow_ratio).
import { type MaybePromise, runMaybeAsync } from "../../util/maybe-async.ts";
import { lookupMultiRail, lookupRail, type PrinterRail } from "../rail.ts";
import type { McuStepper } from "../stepper.ts";
import { DeltesianStepperKinematics } from "../steps/stepper-kinematics/deltesian.ts";
import { CartesianStepperKinematics } from "../steps/stepper-kinematics/cartesian.ts";
import type { Kinematics, KinematicsEnv, KinHomingState, KinMove } from "./types.ts";

const SLOW_RATIO = 3.;
const MIN_ANGLE = 5.;

export class DeltesianKinematics implements Kinematics {
  private readonly rails: PrinterRail<any>[];
  readonly armX: [number, number];
  readonly arm2: [number, number];
  private readonly limits: [number, number][];
  private readonly absEndstop: number[];
  readonly homeZ: number;
  private readonly slowX2: number | null = null;
  private readonly verySlowX2: number | null = null;
  private readonly maxVelocity: number;
  private readonly maxAccel: number;
  private readonly maxZVelocity: number;
  private readonly maxZAccel: number;
  private readonly homedAxis = [false, false, false];

  constructor(env: KinematicsEnv) {
    const cfgs = ["left", "right", "y"].map((s) => env.sections.getSection("stepper_" + s));
    const left = lookupRail(cfgs[0]!, env.services, { needPositionMinmax: false });
    const defEs = left.getHomingInfo().positionEndstop;
    const right = lookupRail(cfgs[1]!, env.services, { needPositionMinmax: false, defaultPositionEndstop: defEs });
    const y = lookupMultiRail(cfgs[2]!, env.sections, env.services);
    this.rails = [left, right, y];
    const ax0 = cfgs[0]!.getFloat("arm_x_length", undefined, { above: 0. });
    const ax1 = cfgs[1]!.getFloat("arm_x_length", ax0, { above: 0. });
    this.armX = [ax0, ax1];
    const a0 = cfgs[0]!.getFloat("arm_length", undefined, { above: ax0 });
    const a1 = cfgs[1]!.getFloat("arm_length", a0, { above: ax1 });
    const arm = [a0, a1];
    this.arm2 = [a0 ** 2, a1 ** 2];
    left.setupItersolve(() => new DeltesianStepperKinematics(this.arm2[0], -ax0));
    right.setupItersolve(() => new DeltesianStepperKinematics(this.arm2[1], ax1));
    y.setupItersolve(() => new CartesianStepperKinematics("y"));
    for (const s of this.getSteppers()) s.setTrapq(env.toolhead.trapq);
    this.limits = [[1.0, -1.0], [1.0, -1.0], [1.0, -1.0]];
    // X limits: keep the arms at least min_angle from horizontal
    const minAngle = env.config.getFloat("min_angle", MIN_ANGLE, { minval: 0., maxval: 90. });
    const cosAngle = Math.cos(minAngle * Math.PI / 180);
    const xKinMin = Math.ceil(-Math.min(ax0, cosAngle * arm[1]! - ax1));
    const xKinMax = Math.floor(Math.min(ax1, cosAngle * arm[0]! - ax0));
    const xKinRange = Math.min(xKinMax - xKinMin, xKinMax * 2, -xKinMin * 2);
    const printWidth = env.config.getFloat("print_width", null, { minval: 0., maxval: xKinRange });
    this.limits[0] = printWidth ? [-printWidth * 0.5, printWidth * 0.5] : [xKinMin, xKinMax];
    this.limits[1] = y.getRange();
    const pmax = [left, right].map((r) => r.getHomingInfo().positionEndstop);
    this.absEndstop = pmax.map((p, i) => p + Math.sqrt(this.arm2[i]! - this.armX[i]! ** 2));
    this.homeZ = this.actuatorToCartesian(this.absEndstop)[1];
    const zMax = Math.min(...this.limits[0].map((x) => this.pillarsZMax(x)));
    const zMin = env.config.getFloat("minimum_z_position", 0, { maxval: zMax });
    this.limits[2] = [zMin, zMax];
    const slowRatio = env.config.getFloat("slow_ratio", SLOW_RATIO, { minval: 0. });
    if (slowRatio > 0.) {
      const sr2 = slowRatio ** 2;
      this.slowX2 = Math.min(...this.arm2.map((a2, i) => Math.sqrt((sr2 * a2) / (sr2 + 1)) - this.armX[i]!)) ** 2;
      this.verySlowX2 = Math.min(...this.arm2.map((a2, i) => Math.sqrt((2 * sr2 * a2) / (2 * sr2 + 1)) - this.armX[i]!)) ** 2;
    }
    [this.maxVelocity, this.maxAccel] = env.toolhead.getMaxVelocity();
    this.maxZVelocity = env.config.getFloat("max_z_velocity", this.maxVelocity, { above: 0., maxval: this.maxVelocity });
    this.maxZAccel = env.config.getFloat("max_z_accel", this.maxAccel, { above: 0., maxval: this.maxAccel });
    this.setPosition([0., 0., 0.], "");
  }

  getSteppers(): McuStepper[] { return this.rails.flatMap((r) => r.getSteppers()); }
  getRails(): PrinterRail<any>[] { return [...this.rails]; }

  /** [x, z] of the effector for the two pillar carriage heights. */
  actuatorToCartesian(sp: readonly number[]): [number, number] {
    const [ax0, ax1] = this.armX, [a20, a21] = this.arm2;
    const dx = ax0 + ax1, dz = sp[1]! - sp[0]!;
    const pivots = Math.sqrt(dx ** 2 + dz ** 2);
    const xt = (pivots ** 2 + a20 - a21) / (2 * pivots);
    const zt = Math.sqrt(a20 - xt ** 2);
    return [xt * dx / pivots + zt * dz / pivots - ax0, xt * dz / pivots - zt * dx / pivots + sp[0]!];
  }

  private pillarsZMax(x: number): number {
    const dz = [Math.sqrt(this.arm2[0] - (this.armX[0] + x) ** 2), Math.sqrt(this.arm2[1] - (this.armX[1] - x) ** 2)];
    return Math.min(...this.absEndstop.map((o, i) => o - dz[i]!));
  }

  calcPosition(p: Record<string, number>): number[] {
    const sp = this.rails.map((r) => p[r.getName()]!);
    const [x, z] = this.actuatorToCartesian(sp.slice(0, 2));
    return [x, sp[2]!, z];
  }

  setPosition(newpos: readonly number[], homingAxes: string): void {
    for (const r of this.rails) r.setPosition(newpos);
    for (const a of homingAxes) { const i = "xyz".indexOf(a); if (i >= 0) this.homedAxis[i] = true; }
  }

  clearHomingState(axes: string): void {
    for (let i = 0; i < 3; i++) if (axes.includes("xyz"[i]!)) this.homedAxis[i] = false;
  }

  home(homingState: KinHomingState): MaybePromise<void> {
    return runMaybeAsync(this.homeAxes(homingState));
  }

  private *homeAxes(homingState: KinHomingState): Generator<unknown, void, unknown> {
    const axes = homingState.getAxes();
    const homeXZ = axes.includes(0) || axes.includes(2), homeY = axes.includes(1);
    homingState.setAxes(homeXZ && homeY ? [0, 1, 2] : homeXZ ? [0, 2] : homeY ? [1] : []);
    const homepos: (number | null)[] = [null, null, null, null];
    if (homeXZ) {
      homingState.setAxes(homeY ? [0, 1, 2] : [0, 2]);
      homepos[0] = 0.; homepos[2] = this.homeZ;
      const forcepos = [...homepos];
      const dz2 = this.arm2.map((a2, i) => a2 - this.armX[i]! ** 2);
      forcepos[2] = -1.5 * Math.sqrt(Math.max(...dz2));
      yield homingState.homeRails(this.rails.slice(0, 2), forcepos, homepos);
    }
    if (homeY) {
      const rail = this.rails[2]!;
      const [positionMin, positionMax] = rail.getRange();
      const hi = rail.getHomingInfo();
      homepos[1] = hi.positionEndstop;
      const forcepos = [...homepos];
      if (hi.positiveDir) forcepos[1] = forcepos[1]! - 1.5 * (hi.positionEndstop - positionMin);
      else forcepos[1] = forcepos[1]! + 1.5 * (positionMax - hi.positionEndstop);
      yield homingState.homeRails([rail], forcepos, homepos);
    }
  }

  checkMove(move: KinMove): void {
    const limits = this.limits.map((l) => [...l] as [number, number]);
    const spos = move.startPos, epos = move.endPos;
    let homingMove = false;
    if (epos[0] === 0. && epos[2] === this.homeZ && !move.axesD[1]) homingMove = true;
    else if (epos[2]! > limits[2]![1]) limits[2]![1] = this.pillarsZMax(epos[0]!); // top: limit depends on x
    for (let i = 0; i < 3; i++) {
      if (!move.axesD[i]) continue;
      if (!this.homedAxis[i]) throw move.moveError("Must home axis first");
      if ((epos[i]! < limits[i]![0] || epos[i]! > limits[i]![1]) && !homingMove) throw move.moveError();
    }
    if (move.axesD[2]) {
      const zRatio = move.moveD / Math.abs(move.axesD[2]!);
      move.limitSpeed(this.maxZVelocity * zRatio, this.maxZAccel * zRatio);
    }
    // Slow down at the x extremes. (Klipper reads toolhead limits from attributes it never
    // sets here; the intended toolhead maximums are used.)
    if (move.axesD[0] && this.slowX2 && this.verySlowX2) {
      const moveX2 = Math.max(spos[0]! ** 2, epos[0]! ** 2);
      if (moveX2 > this.verySlowX2) move.limitSpeed(this.maxVelocity * 0.25, this.maxAccel * 0.25);
      else if (moveX2 > this.slowX2) move.limitSpeed(this.maxVelocity * 0.50, this.maxAccel * 0.50);
    }
  }

  getStatus(): Record<string, unknown> {
    return {
      homed_axes: [0, 1, 2].filter((i) => this.homedAxis[i]).map((i) => "xyz"[i]).join(""),
      axis_minimum: [...this.limits.map((l) => l[0]), 0], axis_maximum: [...this.limits.map((l) => l[1]), 0],
    };
  }
}
