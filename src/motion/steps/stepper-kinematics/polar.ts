// Polar stepper kinematics: a rotating bed (angle, radians) and a radial arm.
//   new PolarStepperKinematics("a" | "r")
// The bed angle is taken on the branch nearest the current commanded angle and kept within
// [-pi, pi] after each solved range, so continuous rotation never runs away.
import { StepperKinematics, AF_X, AF_Y } from "../itersolve.ts";
import { STRIDE, M_START_X, M_START_Y, M_AXES_RX, M_AXES_RY, moveDistance } from "../trapq.ts";

export class PolarStepperKinematics extends StepperKinematics {
  private readonly angle: boolean;
  constructor(type: "a" | "r") {
    super();
    this.angle = type === "a";
    this.activeFlags = AF_X | AF_Y;
  }
  override calcPosition(d: Float64Array, m: number, t: number): number {
    const b = m * STRIDE, dist = moveDistance(d, m, t);
    const x = d[b + M_START_X]! + d[b + M_AXES_RX]! * dist;
    const y = d[b + M_START_Y]! + d[b + M_AXES_RY]! * dist;
    if (!this.angle) return Math.sqrt(x * x + y * y);
    let angle = Math.atan2(y, x); // x == y == 0 is left as atan2 gives it, as Klipper does
    if (angle - this.commandedPos > Math.PI) angle -= 2. * Math.PI;
    else if (angle - this.commandedPos < -Math.PI) angle += 2. * Math.PI;
    return angle;
  }
  override hasPostCallback(): boolean { return this.angle; }
  override postCallback(): void {
    if (this.commandedPos < -Math.PI) this.commandedPos += 2 * Math.PI;
    else if (this.commandedPos > Math.PI) this.commandedPos -= 2 * Math.PI;
  }
}
