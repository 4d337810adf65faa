// Cable winch stepper kinematics: the stepper position is the cable length from its anchor.
import { StepperKinematics, AF_X, AF_Y, AF_Z } from "../itersolve.ts";
import { STRIDE, M_START_X, M_START_Y, M_START_Z, M_AXES_RX, M_AXES_RY, M_AXES_RZ, moveDistance } from "../trapq.ts";

export class WinchStepperKinematics extends StepperKinematics {
  constructor(readonly anchorX: number, readonly anchorY: number, readonly anchorZ: number) {
    super();
    this.activeFlags = AF_X | AF_Y | AF_Z;
  }
  override calcPosition(d: Float64Array, m: number, t: number): number {
    const b = m * STRIDE, dist = moveDistance(d, m, t);
    const dx = this.anchorX - (d[b + M_START_X]! + d[b + M_AXES_RX]! * dist);
    const dy = this.anchorY - (d[b + M_START_Y]! + d[b + M_AXES_RY]! * dist);
    const dz = this.anchorZ - (d[b + M_START_Z]! + d[b + M_AXES_RZ]! * dist);
    return Math.sqrt(dx * dx + dy * dy + dz * dz);
  }
}
