// Rotary delta kinematics (Klipper's kinematics/rotary_delta.py): three rotary towers
// ([stepper_a..c], in radians) at `angle` (default 30/150/270 degrees) driving upper arms
// (upper_arm_length) and lower arms (lower_arm_length) from a shoulder platform
// (shoulder_radius, shoulder_height). All towers home together.
import type { MaybePromise } from "../../util/maybe-async.ts";
import { lookupRail, type PrinterRail } from "../rail.ts";
import type { McuStepper } from "../stepper.ts";
import { RotaryDeltaStepperKinematics } from "../steps/stepper-kinematics/rotary-delta.ts";
import { trilateration } from "./delta.ts";
import type { Kinematics, KinematicsEnv, KinHomingState, KinMove } from "./types.ts";

type V3 = [number, number, number];

/** Geometry of a rotary delta (also what DELTA_CALIBRATE would adjust). */
export class RotaryDeltaCalibration {
  constructor(readonly shoulderRadius: number, readonly shoulderHeight: number, readonly angles: number[],
              readonly upperArms: number[], readonly lowerArms: number[]) {}

  /** Elbow position of tower i for upper arm angle spos. */
  elbowCoord(i: number, spos: number): V3 {
    const ex = this.upperArms[i]! * Math.cos(spos), ey = this.upperArms[i]! * Math.sin(spos);
    const angle = this.angles[i]! * Math.PI / 180;
    return [(ex + this.shoulderRadius) * Math.cos(angle), (ex + this.shoulderRadius) * Math.sin(angle), ey + this.shoulderHeight];
  }

  actuatorToCartesian(spos: readonly number[]): V3 {
    const spheres = spos.map((sp, i) => this.elbowCoord(i, sp)) as [V3, V3, V3];
    return trilateration(spheres, this.lowerArms.map((la) => la ** 2));
  }
}

export class RotaryDeltaKinematics implements Kinematics {
  private readonly rails: PrinterRail<any>[];
  private readonly maxZVelocity: number;
  readonly calibration: RotaryDeltaCalibration;
  private needHome = true;
  private limitXY2 = -1.;
  readonly homePosition: V3;
  readonly maxZ: number;
  readonly minZ: number;
  readonly maxXY2: number;
  readonly limitZ: number;
  private readonly axesMin: number[];
  private readonly axesMax: number[];

  constructor(env: KinematicsEnv) {
    const cfgs = ["a", "b", "c"].map((a) => env.sections.getSection("stepper_" + a));
    const railA = lookupRail(cfgs[0]!, env.services, { needPositionMinmax: false, unitsInRadians: true });
    const aEndstop = railA.getHomingInfo().positionEndstop;
    const rest = cfgs.slice(1).map((c) =>
      lookupRail(c, env.services, { needPositionMinmax: false, defaultPositionEndstop: aEndstop, unitsInRadians: true }));
    this.rails = [railA, ...rest];
    const [maxVelocity] = env.toolhead.getMaxVelocity();
    this.maxZVelocity = env.config.getFloat("max_z_velocity", maxVelocity, { above: 0., maxval: maxVelocity });
    const shoulderRadius = env.config.getFloat("shoulder_radius", undefined, { above: 0. });
    const shoulderHeight = env.config.getFloat("shoulder_height", undefined, { above: 0. });
    const aUpper = cfgs[0]!.getFloat("upper_arm_length", undefined, { above: 0. });
    const upperArms = cfgs.map((c) => c.getFloat("upper_arm_length", aUpper, { above: 0. }));
    const aLower = cfgs[0]!.getFloat("lower_arm_length", undefined, { above: 0. });
    const lowerArms = cfgs.map((c) => c.getFloat("lower_arm_length", aLower, { above: 0. }));
    const angles = cfgs.map((c, i) => c.getFloat("angle", [30., 150., 270.][i]!));
    const endstops = this.rails.map((r) => r.getHomingInfo().positionEndstop);
    this.calibration = new RotaryDeltaCalibration(shoulderRadius, shoulderHeight, angles, upperArms, lowerArms);
    this.rails.forEach((r, i) => r.setupItersolve(() =>
      new RotaryDeltaStepperKinematics(shoulderRadius, shoulderHeight, angles[i]! * Math.PI / 180, upperArms[i]!, lowerArms[i]!)));
    for (const s of this.getSteppers()) s.setTrapq(env.toolhead.trapq);
    const eangles = this.rails.map((r, i) => r.calcPositionFromCoord([0., 0., endstops[i]!]));
    this.homePosition = this.calibration.actuatorToCartesian(eangles);
    this.maxZ = Math.min(...endstops);
    this.minZ = env.config.getFloat("minimum_z_position", 0, { maxval: this.maxZ });
    const minUa = Math.min(...upperArms.map((ua) => shoulderRadius + ua));
    const minLa = Math.min(...lowerArms.map((la) => la - shoulderRadius));
    this.maxXY2 = Math.min(minUa, minLa) ** 2;
    const armZ = eangles.map((ea, i) => this.calibration.elbowCoord(i, ea)[2]);
    this.limitZ = Math.min(...armZ.map((az, i) => az - lowerArms[i]!));
    const maxXY = Math.sqrt(this.maxXY2);
    this.axesMin = [-maxXY, -maxXY, this.minZ, 0];
    this.axesMax = [maxXY, maxXY, this.maxZ, 0];
    this.setPosition([0., 0., 0.], "");
  }

  getSteppers(): McuStepper[] { return this.rails.flatMap((r) => r.getSteppers()); }
  getRails(): PrinterRail<any>[] { return [...this.rails]; }

  calcPosition(p: Record<string, number>): number[] {
    return this.calibration.actuatorToCartesian(this.rails.map((r) => p[r.getName()]!));
  }

  setPosition(newpos: readonly number[], homingAxes: string): void {
    for (const r of this.rails) r.setPosition(newpos);
    this.limitXY2 = -1.;
    if (homingAxes === "xyz") this.needHome = false;
  }

  clearHomingState(axes: string): void {
    if (axes) { this.limitXY2 = -1; this.needHome = true; }
  }

  home(homingState: KinHomingState): MaybePromise<void> {
    homingState.setAxes([0, 1, 2]);
    const forcepos: (number | null)[] = [...this.homePosition];
    forcepos[2] = -1.;
    return homingState.homeRails(this.rails, forcepos, [...this.homePosition]);
  }

  checkMove(move: KinMove): void {
    const ep = move.endPos;
    const endXY2 = ep[0]! ** 2 + ep[1]! ** 2;
    if (endXY2 <= this.limitXY2 && !move.axesD[2]) return;
    if (this.needHome) throw move.moveError("Must home first");
    const endZ = ep[2]!;
    let limitXY2 = this.maxXY2;
    if (endZ > this.limitZ) limitXY2 = Math.min(limitXY2, (this.maxZ - endZ) ** 2);
    if (endXY2 > limitXY2 || endZ > this.maxZ || endZ < this.minZ) {
      if (ep[0] !== this.homePosition[0] || ep[1] !== this.homePosition[1]
        || endZ < this.minZ || endZ > this.homePosition[2])
        throw move.moveError();
      limitXY2 = -1.;
    }
    if (move.axesD[2]) {
      move.limitSpeed(this.maxZVelocity, move.accel ?? Infinity);
      limitXY2 = -1.;
    }
    this.limitXY2 = limitXY2;
  }

  getStatus(): Record<string, unknown> {
    return { homed_axes: this.needHome ? "" : "xyz", axis_minimum: [...this.axesMin], axis_maximum: [...this.axesMax] };
  }
}
