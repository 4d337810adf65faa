// Cartesian kinematics: one rail per axis, optionally a [dual_carriage] on x or y
// (Klipper's kinematics/cartesian.py).
import { lookupMultiRail } from "../rail.ts";
import { CartesianStepperKinematics } from "../steps/stepper-kinematics/cartesian.ts";
import { RailKinematics } from "./rail-kinematics.ts";
import type { KinematicsEnv } from "./types.ts";

export class CartesianKinematics extends RailKinematics {
  constructor(env: KinematicsEnv) {
    super();
    for (const axis of ["x", "y", "z"] as const) {
      const rail = lookupMultiRail(env.sections.getSection("stepper_" + axis), env.sections, env.services);
      rail.setupItersolve(() => new CartesianStepperKinematics(axis));
      this.rails.push(rail);
    }
    this.noteRanges();
    this.setupDualCarriage(env, ["x", "y"], (axis) => new CartesianStepperKinematics(axis as "x" | "y"));
    this.attachTrapq(env);
    this.readZLimits(env);
  }

  override calcPosition(pos: Record<string, number>): number[] {
    return [0, 1, 2].map((axis) => pos[this.activeRail(axis).getName()]!);
  }
}
