// Cartesian stepper kinematics: the stepper follows one axis (x, y or z) directly.
import { StepperKinematics, AF_X } from "../itersolve.ts";
import { STRIDE, M_START_X, M_AXES_RX, moveDistance } from "../trapq.ts";

export type Axis = "x" | "y" | "z";

export function axisIndex(axis: string): number {
  const i = "xyz".indexOf(axis);
  if (axis.length !== 1 || i < 0) throw new Error(`unknown axis '${axis}' (expected x, y or z)`);
  return i;
}

export class CartesianStepperKinematics extends StepperKinematics {
  private readonly posOff: number;
  private readonly rOff: number;
  constructor(axis: Axis) {
    super();
    const i = axisIndex(axis);
    this.posOff = M_START_X + i;
    this.rOff = M_AXES_RX + i;
    this.activeFlags = AF_X << i;
  }
  override calcPosition(d: Float64Array, m: number, t: number): number {
    const b = m * STRIDE;
    return d[b + this.posOff]! + d[b + this.rOff]! * moveDistance(d, m, t);
  }
}
