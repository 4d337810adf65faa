// Linear delta kinematics (Klipper's kinematics/delta.py): three towers at `angle`
// (default 210/330/90 degrees) on `delta_radius`, carriages connected by `arm_length`
// arms; build volume tapered near the top; moves slowed near the edge.
import type { MaybePromise } from "../../util/maybe-async.ts";
import { lookupMultiRail } from "../rail.ts";
import { DeltaStepperKinematics } from "../steps/stepper-kinematics/delta.ts";
import type { PrinterRail } from "../rail.ts";
import type { McuStepper } from "../stepper.ts";
import type { Kinematics, KinematicsEnv, KinHomingState, KinMove } from "./types.ts";

const SLOW_RATIO = 3.;
type V3 = [number, number, number];

const sub = (a: V3, b: V3): V3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const add = (a: V3, b: V3): V3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
const mul = (a: V3, s: number): V3 => [a[0] * s, a[1] * s, a[2] * s];
const dot = (a: V3, b: V3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const magsq = (a: V3): number => a[0] ** 2 + a[1] ** 2 + a[2] ** 2;
const cross = (a: V3, b: V3): V3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

/** Lower intersection point of three spheres (centres, squared radii). */
export function trilateration(spheres: [V3, V3, V3], radius2: readonly number[]): V3 {
  const [s1, s2, s3] = spheres;
  const s21 = sub(s2, s1), s31 = sub(s3, s1);
  const d = Math.sqrt(magsq(s21));
  const ex = mul(s21, 1. / d);
  const i = dot(ex, s31);
  const vey = sub(s31, mul(ex, i));
  const ey = mul(vey, 1. / Math.sqrt(magsq(vey)));
  const ez = cross(ex, ey);
  const j = dot(ey, s31);
  const x = (radius2[0]! - radius2[1]! + d ** 2) / (2. * d);
  const y = (radius2[0]! - radius2[2]! - x ** 2 + (x - i) ** 2 + j ** 2) / (2. * j);
  const z = -Math.sqrt(radius2[0]! - x ** 2 - y ** 2);
  return add(s1, add(mul(ex, x), add(mul(ey, y), mul(ez, z))));
}

export class DeltaKinematics implements Kinematics {
  private readonly rails: PrinterRail<any>[];
  readonly radius: number;
  readonly armLengths: number[];
  readonly arm2: number[];
  readonly angles: number[];
  readonly towers: [number, number][];
  readonly absEndstops: number[];
  private readonly maxVelocity: number;
  private readonly maxAccel: number;
  private readonly maxZVelocity: number;
  private readonly maxZAccel: number;
  private needHome = true;
  private limitXY2 = -1.;
  readonly homePosition: V3;
  readonly maxZ: number;
  readonly minZ: number;
  readonly limitZ: number;
  private readonly minArmLength: number;
  private readonly minArm2: number;
  readonly slowXY2: number;
  readonly verySlowXY2: number;
  readonly maxXY2: number;
  private readonly axesMin: number[];
  private readonly axesMax: number[];

  constructor(env: KinematicsEnv) {
    const cfgs = ["a", "b", "c"].map((a) => env.sections.getSection("stepper_" + a));
    const railA = lookupMultiRail(cfgs[0]!, env.sections, env.services, { needPositionMinmax: false });
    const aEndstop = railA.getHomingInfo().positionEndstop;
    const railB = lookupMultiRail(cfgs[1]!, env.sections, env.services, { needPositionMinmax: false, defaultPositionEndstop: aEndstop });
    const railC = lookupMultiRail(cfgs[2]!, env.sections, env.services, { needPositionMinmax: false, defaultPositionEndstop: aEndstop });
    this.rails = [railA, railB, railC];
    [this.maxVelocity, this.maxAccel] = env.toolhead.getMaxVelocity();
    this.maxZVelocity = env.config.getFloat("max_z_velocity", this.maxVelocity, { above: 0., maxval: this.maxVelocity });
    this.maxZAccel = env.config.getFloat("max_z_accel", this.maxAccel, { above: 0., maxval: this.maxAccel });
    const radius = this.radius = env.config.getFloat("delta_radius", undefined, { above: 0. });
    const printRadius = env.config.getFloat("print_radius", radius, { above: 0. });
    const armA = cfgs[0]!.getFloat("arm_length", undefined, { above: radius });
    this.armLengths = cfgs.map((c) => c.getFloat("arm_length", armA, { above: radius }));
    this.arm2 = this.armLengths.map((a) => a ** 2);
    this.absEndstops = this.rails.map((r, i) => r.getHomingInfo().positionEndstop + Math.sqrt(this.arm2[i]! - radius ** 2));
    this.angles = cfgs.map((c, i) => c.getFloat("angle", [210., 330., 90.][i]!));
    this.towers = this.angles.map((a) => [Math.cos(a * Math.PI / 180) * radius, Math.sin(a * Math.PI / 180) * radius]);
    this.rails.forEach((r, i) => r.setupItersolve(() => new DeltaStepperKinematics(this.arm2[i]!, this.towers[i]![0], this.towers[i]![1])));
    for (const s of this.getSteppers()) s.setTrapq(env.toolhead.trapq);
    this.homePosition = this.actuatorToCartesian(this.absEndstops);
    this.maxZ = Math.min(...this.rails.map((r) => r.getHomingInfo().positionEndstop));
    this.minZ = env.config.getFloat("minimum_z_position", 0, { maxval: this.maxZ });
    this.limitZ = Math.min(...this.absEndstops.map((ep, i) => ep - this.armLengths[i]!));
    this.minArmLength = Math.min(...this.armLengths);
    this.minArm2 = this.minArmLength ** 2;
    // Where an XY move could cause excessive tower movement
    const halfMinStepDist = Math.min(...this.rails.map((r) => r.getSteppers()[0]!.getStepDist())) * .5;
    const minArm = this.minArmLength;
    const ratioToXY = (ratio: number) =>
      ratio * Math.sqrt(minArm ** 2 / (ratio ** 2 + 1.) - halfMinStepDist ** 2) + halfMinStepDist - radius;
    this.slowXY2 = ratioToXY(SLOW_RATIO) ** 2;
    this.verySlowXY2 = ratioToXY(2. * SLOW_RATIO) ** 2;
    this.maxXY2 = Math.min(printRadius, minArm - radius, ratioToXY(4. * SLOW_RATIO)) ** 2;
    const maxXY = Math.sqrt(this.maxXY2);
    this.axesMin = [-maxXY, -maxXY, this.minZ, 0];
    this.axesMax = [maxXY, maxXY, this.maxZ, 0];
    this.setPosition([0., 0., 0.], "");
  }

  getRails(): PrinterRail<any>[] { return [...this.rails]; }
  getSteppers(): McuStepper[] { return this.rails.flatMap((r) => r.getSteppers()); }

  actuatorToCartesian(spos: readonly number[]): V3 {
    const spheres = this.towers.map((t, i) => [t[0], t[1], spos[i]!] as V3) as [V3, V3, V3];
    return trilateration(spheres, this.arm2);
  }

  calcPosition(p: Record<string, number>): number[] {
    return this.actuatorToCartesian(this.rails.map((r) => p[r.getName()]!));
  }

  setPosition(newpos: readonly number[], homingAxes: string): void {
    for (const rail of this.rails) rail.setPosition(newpos);
    this.limitXY2 = -1.;
    if (homingAxes === "xyz") this.needHome = false;
  }

  clearHomingState(axes: string): void {
    if (axes) { this.limitXY2 = -1; this.needHome = true; }
  }

  home(homingState: KinHomingState): MaybePromise<void> {
    homingState.setAxes([0, 1, 2]);
    const forcepos: (number | null)[] = [...this.homePosition];
    forcepos[2] = -1.5 * Math.sqrt(Math.max(...this.arm2) - this.maxXY2);
    return homingState.homeRails(this.rails, forcepos, [...this.homePosition]);
  }

  checkMove(move: KinMove): void {
    const ep = move.endPos;
    const endXY2 = ep[0]! ** 2 + ep[1]! ** 2;
    if (endXY2 <= this.limitXY2 && !move.axesD[2]) return; // normal XY move
    if (this.needHome) throw move.moveError("Must home first");
    const endZ = ep[2]!;
    let limitXY2 = this.maxXY2;
    if (endZ > this.limitZ) {
      const aboveZLimit = endZ - this.limitZ;
      const allowedRadius = this.radius - Math.sqrt(this.minArm2 - (this.minArmLength - aboveZLimit) ** 2);
      limitXY2 = Math.min(limitXY2, allowedRadius ** 2);
    }
    if (endXY2 > limitXY2 || endZ > this.maxZ || endZ < this.minZ) {
      // Out of range: only allowed as the homing move to the top
      if (ep[0] !== this.homePosition[0] || ep[1] !== this.homePosition[1]
        || endZ < this.minZ || endZ > this.homePosition[2])
        throw move.moveError();
      limitXY2 = -1.;
    }
    if (move.axesD[2]) {
      const zRatio = move.moveD / Math.abs(move.axesD[2]!);
      move.limitSpeed(this.maxZVelocity * zRatio, this.maxZAccel * zRatio);
      limitXY2 = -1.;
    }
    // Slow down at the edge of the build envelope
    const extremeXY2 = Math.max(endXY2, move.startPos[0]! ** 2 + move.startPos[1]! ** 2);
    if (extremeXY2 > this.slowXY2) {
      const r = extremeXY2 > this.verySlowXY2 ? 0.25 : 0.5;
      move.limitSpeed(this.maxVelocity * r, this.maxAccel * r);
      limitXY2 = -1.;
    }
    this.limitXY2 = Math.min(limitXY2, this.slowXY2);
  }

  getStatus(): Record<string, unknown> {
    return {
      homed_axes: this.needHome ? "" : "xyz",
      axis_minimum: [...this.axesMin], axis_maximum: [...this.axesMax],
      cone_start_z: this.limitZ,
    };
  }
}
