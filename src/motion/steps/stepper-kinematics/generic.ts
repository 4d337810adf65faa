// Generic cartesian stepper kinematics: the stepper follows a·(x, y, z) for a coefficient
// vector a (e.g. (1, 1, 0) for a corexy '+' motor), changeable at run time.
import { StepperKinematics, AF_X, AF_Y, AF_Z } from "../itersolve.ts";
import { STRIDE, M_START_X, M_START_Y, M_START_Z, M_AXES_RX, M_AXES_RY, M_AXES_RZ, moveDistance } from "../trapq.ts";

export class GenericCartesianStepperKinematics extends StepperKinematics {
  private ax = 0;
  private ay = 0;
  private az = 0;

  constructor(ax: number, ay: number, az: number) {
    super();
    this.setCoeffs(ax, ay, az);
  }

  setCoeffs(ax: number, ay: number, az: number): void {
    this.ax = ax; this.ay = ay; this.az = az;
    this.activeFlags = (ax ? AF_X : 0) | (ay ? AF_Y : 0) | (az ? AF_Z : 0);
  }

  override calcPosition(d: Float64Array, m: number, t: number): number {
    const b = m * STRIDE, dist = moveDistance(d, m, t);
    const x = d[b + M_START_X]! + d[b + M_AXES_RX]! * dist;
    const y = d[b + M_START_Y]! + d[b + M_AXES_RY]! * dist;
    const z = d[b + M_START_Z]! + d[b + M_AXES_RZ]! * dist;
    return this.ax * x + this.ay * y + this.az * z;
  }
}
