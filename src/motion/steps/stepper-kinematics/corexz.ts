// CoreXZ stepper kinematics: stepper '+' follows x + z, stepper '-' follows x - z.
import { StepperKinematics, AF_X, AF_Z } from "../itersolve.ts";
import { STRIDE, M_START_X, M_START_Z, M_AXES_RX, M_AXES_RZ, moveDistance } from "../trapq.ts";

export class CoreXZStepperKinematics extends StepperKinematics {
  private readonly sign: number;
  constructor(type: "+" | "-") {
    super();
    this.sign = type === "+" ? 1 : -1;
    this.activeFlags = AF_X | AF_Z;
  }
  override calcPosition(d: Float64Array, m: number, t: number): number {
    const b = m * STRIDE, dist = moveDistance(d, m, t);
    const x = d[b + M_START_X]! + d[b + M_AXES_RX]! * dist;
    const z = d[b + M_START_Z]! + d[b + M_AXES_RZ]! * dist;
    return this.sign > 0 ? x + z : x - z;
  }
}
