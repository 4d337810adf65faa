// Deltesian tower kinematics: a carriage on a vertical pillar at arm_x drives an arm of
// length sqrt(arm2) to the effector; carriage height = z + sqrt(arm2 - (x - arm_x)^2).
import { StepperKinematics, AF_X, AF_Z } from "../itersolve.ts";
import { STRIDE, M_START_X, M_START_Z, M_AXES_RX, M_AXES_RZ, moveDistance } from "../trapq.ts";

export class DeltesianStepperKinematics extends StepperKinematics {
  constructor(readonly arm2: number, readonly armX: number) {
    super();
    this.activeFlags = AF_X | AF_Z;
  }
  override calcPosition(d: Float64Array, m: number, t: number): number {
    const b = m * STRIDE, dist = moveDistance(d, m, t);
    const dx = (d[b + M_START_X]! + d[b + M_AXES_RX]! * dist) - this.armX;
    return Math.sqrt(this.arm2 - dx * dx) + (d[b + M_START_Z]! + d[b + M_AXES_RZ]! * dist);
  }
}
