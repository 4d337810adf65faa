// Cartesian kinematics: one rail per axis (Klipper's kinematics/cartesian.py).
import { lookupMultiRail } from "../rail.ts";
import { CartesianStepperKinematics } from "../kin/cartesian.ts";
import { RailKinematics, refuseDualCarriage } from "./rail-kinematics.ts";
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
    refuseDualCarriage(env);
    this.attachTrapq(env);
    this.readZLimits(env);
  }

  override calcPosition(pos: Record<string, number>): number[] {
    return this.rails.map((r) => pos[r.getName()]!);
  }
}
