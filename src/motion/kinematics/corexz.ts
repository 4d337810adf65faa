// CoreXZ kinematics (Klipper's kinematics/corexz.py): A = x + z, B = x - z; each of the
// x/z endstops stops both motors.
import { lookupMultiRail } from "../rail.ts";
import { CartesianStepperKinematics } from "../steps/stepper-kinematics/cartesian.ts";
import { CoreXZStepperKinematics } from "../steps/stepper-kinematics/corexz.ts";
import { RailKinematics } from "./rail-kinematics.ts";
import type { KinematicsEnv } from "./types.ts";

export class CoreXZKinematics extends RailKinematics {
  constructor(env: KinematicsEnv) {
    super();
    for (const axis of "xyz")
      this.rails.push(lookupMultiRail(env.sections.getSection("stepper_" + axis), env.sections, env.services));
    const [rx, ry, rz] = this.rails as [typeof this.rails[0], typeof this.rails[0], typeof this.rails[0]];
    for (const s of rx.getSteppers()) rz.getEndstops()[0]![0].addStepper(s);
    for (const s of rz.getSteppers()) rx.getEndstops()[0]![0].addStepper(s);
    rx.setupItersolve(() => new CoreXZStepperKinematics("+"));
    ry.setupItersolve(() => new CartesianStepperKinematics("y"));
    rz.setupItersolve(() => new CoreXZStepperKinematics("-"));
    this.attachTrapq(env);
    this.readZLimits(env);
    this.noteRanges();
  }

  override calcPosition(p: Record<string, number>): number[] {
    const pos = this.rails.map((r) => p[r.getName()]!);
    return [0.5 * (pos[0]! + pos[2]!), pos[1]!, 0.5 * (pos[0]! - pos[2]!)];
  }
}
