// Polar kinematics (Klipper's kinematics/polar.py): a rotating bed ([stepper_bed], in
// radians), a radial arm rail ([stepper_arm]) and z; x and y are homed together; moves
// close to the bed centre are slowed to respect max_angular_velocity.
import { type MaybePromise, runMaybeAsync } from "../../util/maybe-async.ts";
import { lookupMultiRail, lookupRail, type PrinterRail } from "../rail.ts";
import { printerStepper, type McuStepper } from "../stepper.ts";
import { PolarStepperKinematics } from "../steps/stepper-kinematics/polar.ts";
import { CartesianStepperKinematics } from "../steps/stepper-kinematics/cartesian.ts";
import type { Kinematics, KinematicsEnv, KinHomingState, KinMove } from "./types.ts";

/** Distance from the origin to the segment p1-p2. */
export function distanceToCenter(p1: readonly number[], p2: readonly number[]): number {
  const abX = p2[0]! - p1[0]!, abY = p2[1]! - p1[1]!;
  const apX = -p1[0]!, apY = -p1[1]!;
  const dotp = abX * apX + abY * apY;
  const abLength = Math.sqrt(abX ** 2 + abY ** 2);
  if (dotp <= 0) return Math.sqrt(apX ** 2 + apY ** 2);
  if (dotp >= abLength ** 2) return Math.sqrt(p2[0]! ** 2 + p2[1]! ** 2);
  return Math.abs(abX * apY - abY * apX) / abLength;
}

export class PolarKinematics implements Kinematics {
  private readonly rails: PrinterRail<any>[];
  private readonly steppers: McuStepper[];
  private readonly maxVelocity: number;
  private readonly maxAccel: number;
  private readonly maxZVelocity: number;
  private readonly maxZAccel: number;
  private readonly vRadMax: number;
  private limitZ: [number, number] = [1.0, -1.0];
  private limitXY2 = -1.;
  private readonly axesMin: number[];
  private readonly axesMax: number[];

  constructor(env: KinematicsEnv) {
    const bed = printerStepper(env.sections.getSection("stepper_bed"), env.services, true);
    const arm = lookupRail(env.sections.getSection("stepper_arm"), env.services);
    const z = lookupMultiRail(env.sections.getSection("stepper_z"), env.sections, env.services);
    bed.setStepperKinematics(new PolarStepperKinematics("a"));
    arm.setupItersolve(() => new PolarStepperKinematics("r"));
    z.setupItersolve(() => new CartesianStepperKinematics("z"));
    this.rails = [arm, z];
    this.steppers = [bed, ...this.rails.flatMap((r) => r.getSteppers())];
    for (const s of this.steppers) s.setTrapq(env.toolhead.trapq);
    [this.maxVelocity, this.maxAccel] = env.toolhead.getMaxVelocity();
    this.maxZVelocity = env.config.getFloat("max_z_velocity", this.maxVelocity, { above: 0., maxval: this.maxVelocity });
    this.maxZAccel = env.config.getFloat("max_z_accel", this.maxAccel, { above: 0., maxval: this.maxAccel });
    this.vRadMax = env.config.getFloat("max_angular_velocity", 0, { above: 0. });
    const maxXY = arm.getRange()[1];
    const [minZ, maxZ] = z.getRange();
    this.axesMin = [-maxXY, -maxXY, minZ, 0];
    this.axesMax = [maxXY, maxXY, maxZ, 0];
  }

  getSteppers(): McuStepper[] { return [...this.steppers]; }
  getRails(): PrinterRail<any>[] { return [...this.rails]; }

  calcPosition(p: Record<string, number>): number[] {
    const bedAngle = p[this.steppers[0]!.getName()]!;
    const armPos = p[this.rails[0]!.getName()]!;
    return [Math.cos(bedAngle) * armPos, Math.sin(bedAngle) * armPos, p[this.rails[1]!.getName()]!];
  }

  setPosition(newpos: readonly number[], homingAxes: string): void {
    for (const s of this.steppers) s.setPosition(newpos);
    if (homingAxes.includes("z")) this.limitZ = this.rails[1]!.getRange();
    if (homingAxes.includes("x") && homingAxes.includes("y")) this.limitXY2 = this.rails[0]!.getRange()[1] ** 2;
  }

  clearHomingState(axes: string): void {
    if (axes.includes("x") || axes.includes("y")) this.limitXY2 = -1.; // x and y go together
    if (axes.includes("z")) this.limitZ = [1.0, -1.0];
  }

  private homeAxis(homingState: KinHomingState, axis: number, rail: PrinterRail<any>): MaybePromise<void> {
    const [positionMin, positionMax] = rail.getRange();
    const hi = rail.getHomingInfo();
    const homepos: (number | null)[] = [null, null, null, null];
    homepos[axis] = hi.positionEndstop;
    if (axis === 0) homepos[1] = 0.;
    const forcepos = [...homepos];
    if (hi.positiveDir) forcepos[axis] = forcepos[axis]! - (hi.positionEndstop - positionMin);
    else forcepos[axis] = forcepos[axis]! + (positionMax - hi.positionEndstop);
    return homingState.homeRails([rail], forcepos, homepos);
  }

  home(homingState: KinHomingState): MaybePromise<void> {
    return runMaybeAsync(this.homeAxes(homingState));
  }

  private *homeAxes(homingState: KinHomingState): Generator<unknown, void, unknown> {
    const axes = homingState.getAxes();
    const homeXY = axes.includes(0) || axes.includes(1), homeZ = axes.includes(2);
    const updated: number[] = homeXY ? [0, 1] : [];
    if (homeZ) updated.push(2);
    homingState.setAxes(updated);
    if (homeXY) yield this.homeAxis(homingState, 0, this.rails[0]!);
    if (homeZ) yield this.homeAxis(homingState, 2, this.rails[1]!);
  }

  checkMove(move: KinMove): void {
    const ep = move.endPos;
    const xy2 = ep[0]! ** 2 + ep[1]! ** 2;
    if (xy2 > this.limitXY2) {
      if (this.limitXY2 < 0.) throw move.moveError("Must home axis first");
      throw move.moveError();
    }
    if (move.axesD[2]) {
      if (ep[2]! < this.limitZ[0] || ep[2]! > this.limitZ[1]) {
        if (this.limitZ[0] > this.limitZ[1]) throw move.moveError("Must home axis first");
        throw move.moveError();
      }
      const zRatio = move.moveD / Math.abs(move.axesD[2]!);
      move.limitSpeed(this.maxZVelocity * zRatio, this.maxZAccel * zRatio);
    }
    // Slow down near the centre, where a small XY move is a large bed rotation
    if ((move.axesD[0] || move.axesD[1]) && this.vRadMax !== 0) {
      const minDist = distanceToCenter(move.startPos, ep);
      if (minDist === 0) return;
      const vAngular = Math.sqrt(move.maxCruiseV2 ?? 0) / minDist;
      if (this.vRadMax < vAngular) {
        const scale = this.vRadMax / vAngular;
        move.limitSpeed(this.maxVelocity * scale, this.maxAccel * scale);
      }
    }
  }

  getStatus(): Record<string, unknown> {
    const xy = this.limitXY2 >= 0. ? "xy" : "", z = this.limitZ[0] <= this.limitZ[1] ? "z" : "";
    return { homed_axes: xy + z, axis_minimum: [...this.axesMin], axis_maximum: [...this.axesMax] };
  }
}
