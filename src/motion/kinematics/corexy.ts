// CoreXY kinematics (Klipper's kinematics/corexy.py): A = x + y, B = x - y; each of the
// x/y endstops stops both motors.
import { lookupMultiRail } from "../rail.ts";
import { CartesianStepperKinematics } from "../steps/stepper-kinematics/cartesian.ts";
import { CoreXYStepperKinematics } from "../steps/stepper-kinematics/corexy.ts";
import { RailKinematics } from "./rail-kinematics.ts";
import type { KinematicsEnv } from "./types.ts";

export class CoreXYKinematics extends RailKinematics {
  constructor(env: KinematicsEnv) {
    super();
    for (const axis of "xyz")
      this.rails.push(lookupMultiRail(env.sections.getSection("stepper_" + axis), env.sections, env.services));
    const [rx, ry, rz] = this.rails as [typeof this.rails[0], typeof this.rails[0], typeof this.rails[0]];
    for (const s of ry.getSteppers()) rx.getEndstops()[0]![0].addStepper(s);
    for (const s of rx.getSteppers()) ry.getEndstops()[0]![0].addStepper(s);
    rx.setupItersolve(() => new CoreXYStepperKinematics("+"));
    ry.setupItersolve(() => new CoreXYStepperKinematics("-"));
    rz.setupItersolve(() => new CartesianStepperKinematics("z"));
    this.attachTrapq(env);
    this.readZLimits(env);
    this.noteRanges();
  }

  override calcPosition(p: Record<string, number>): number[] {
    const pos = this.rails.map((r) => p[r.getName()]!);
    return [0.5 * (pos[0]! + pos[1]!), 0.5 * (pos[0]! - pos[1]!), pos[2]!];
  }
}
