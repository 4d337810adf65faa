// Hybrid CoreXY / CoreXZ kinematics (Klipper's hybrid_corexy.py / hybrid_corexz.py): the
// x motor runs x - y (or x - z), y and z are cartesian; the y (or z) endstop also stops
// the x motor.
import { lookupMultiRail, lookupRail } from "../rail.ts";
import { CartesianStepperKinematics } from "../steps/stepper-kinematics/cartesian.ts";
import { CoreXYStepperKinematics } from "../steps/stepper-kinematics/corexy.ts";
import { CoreXZStepperKinematics } from "../steps/stepper-kinematics/corexz.ts";
import { RailKinematics } from "./rail-kinematics.ts";
import type { KinematicsEnv } from "./types.ts";

export class HybridCoreKinematics extends RailKinematics {
  /** 1 for hybrid CoreXY (x motor couples y), 2 for hybrid CoreXZ (couples z). */
  private readonly coupled: 1 | 2;

  constructor(env: KinematicsEnv, type: "xy" | "xz") {
    super();
    this.coupled = type === "xy" ? 1 : 2;
    this.rails.push(lookupRail(env.sections.getSection("stepper_x"), env.services));
    this.rails.push(lookupMultiRail(env.sections.getSection("stepper_y"), env.sections, env.services));
    this.rails.push(lookupMultiRail(env.sections.getSection("stepper_z"), env.sections, env.services));
    const [rx, ry, rz] = this.rails as [typeof this.rails[0], typeof this.rails[0], typeof this.rails[0]];
    this.rails[this.coupled]!.getEndstops()[0]![0].addStepper(rx.getSteppers()[0]!);
    rx.setupItersolve(() => type === "xy" ? new CoreXYStepperKinematics("-") : new CoreXZStepperKinematics("-"));
    ry.setupItersolve(() => new CartesianStepperKinematics("y"));
    rz.setupItersolve(() => new CartesianStepperKinematics("z"));
    this.noteRanges();
    // A dual carriage on x: its motor runs x + y (or x + z) and also stops on the y (z) endstop
    this.setupDualCarriage(env, ["x"],
      () => type === "xy" ? new CoreXYStepperKinematics("+") : new CoreXZStepperKinematics("+"),
      (dcRail) => this.rails[this.coupled]!.getEndstops()[0]![0].addStepper(dcRail.getSteppers()[0]!), false);
    this.attachTrapq(env);
    this.readZLimits(env);
  }

  override calcPosition(p: Record<string, number>): number[] {
    const pos = this.rails.map((r) => p[r.getName()]!);
    if (this.dcModule && this.dcModule.getStatus().carriage_1 === "PRIMARY")
      return [pos[3]! - pos[this.coupled]!, pos[1]!, pos[2]!];
    return [pos[0]! + pos[this.coupled]!, pos[1]!, pos[2]!];
  }
}
