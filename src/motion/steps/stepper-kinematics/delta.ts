// Linear delta tower kinematics: carriage height = z + sqrt(arm^2 - horizontal distance^2).
import { StepperKinematics, AF_X, AF_Y, AF_Z } from "../itersolve.ts";
import { STRIDE, M_START_X, M_START_Y, M_START_Z, M_AXES_RX, M_AXES_RY, M_AXES_RZ, moveDistance } from "../trapq.ts";

export class DeltaStepperKinematics extends StepperKinematics {
  constructor(readonly arm2: number, readonly towerX: number, readonly towerY: number) {
    super();
    this.activeFlags = AF_X | AF_Y | AF_Z;
  }
  override calcPosition(d: Float64Array, m: number, t: number): number {
    const b = m * STRIDE, dist = moveDistance(d, m, t);
    const x = d[b + M_START_X]! + d[b + M_AXES_RX]! * dist;
    const y = d[b + M_START_Y]! + d[b + M_AXES_RY]! * dist;
    const z = d[b + M_START_Z]! + d[b + M_AXES_RZ]! * dist;
    const dx = this.towerX - x, dy = this.towerY - y;
    return Math.sqrt(this.arm2 - dx * dx - dy * dy) + z;
  }
}
