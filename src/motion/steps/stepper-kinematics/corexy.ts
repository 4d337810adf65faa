// CoreXY stepper kinematics: stepper '+' follows x + y, stepper '-' follows x - y.
import { StepperKinematics, AF_X, AF_Y } from "../itersolve.ts";
import { STRIDE, M_START_X, M_START_Y, M_AXES_RX, M_AXES_RY, moveDistance } from "../trapq.ts";

export class CoreXYStepperKinematics extends StepperKinematics {
  private readonly sign: number;
  constructor(type: "+" | "-") {
    super();
    this.sign = type === "+" ? 1 : -1;
    this.activeFlags = AF_X | AF_Y;
  }
  override calcPosition(d: Float64Array, m: number, t: number): number {
    const b = m * STRIDE, dist = moveDistance(d, m, t);
    const x = d[b + M_START_X]! + d[b + M_AXES_RX]! * dist;
    const y = d[b + M_START_Y]! + d[b + M_AXES_RY]! * dist;
    return this.sign > 0 ? x + y : x - y;
  }
}
