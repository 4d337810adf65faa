// Rotary delta stepper kinematics: each stepper turns an upper arm (shoulder joint at
// shoulder_radius/shoulder_height, rotated by the tower angle); the stepper position is the
// upper arm angle in radians that puts the elbow a lower-arm length from the effector.
import { StepperKinematics, AF_X, AF_Y, AF_Z } from "../itersolve.ts";
import { STRIDE, M_START_X, M_START_Y, M_START_Z, M_AXES_RX, M_AXES_RY, M_AXES_RZ, moveDistance } from "../trapq.ts";

/** Upper arm angle for an elbow circle intersection (dx, dy from the shoulder joint). */
function twoArmAngle(dx: number, dy: number, upperArm2: number, lowerArm2: number): number {
  const invDy = 1. / dy;
  const c1 = .5 * invDy * (dx * dx + dy * dy + upperArm2 - lowerArm2);
  const c2 = dx * invDy;
  const scale = c2 * c2 + 1.0;
  const ex = c1 * c2 + Math.sqrt(scale * upperArm2 - c1 * c1);
  const ey = c1 * scale - c2 * ex;
  return Math.atan2(ey, ex);
}

export class RotaryDeltaStepperKinematics extends StepperKinematics {
  private readonly cos: number;
  private readonly sin: number;
  private readonly upperArm2: number;
  private readonly lowerArm2: number;
  constructor(readonly shoulderRadius: number, readonly shoulderHeight: number, angle: number, upperArm: number, lowerArm: number) {
    super();
    this.cos = Math.cos(angle);
    this.sin = Math.sin(angle);
    this.upperArm2 = upperArm * upperArm;
    this.lowerArm2 = lowerArm * lowerArm;
    this.activeFlags = AF_X | AF_Y | AF_Z;
  }
  override calcPosition(d: Float64Array, m: number, t: number): number {
    const b = m * STRIDE, dist = moveDistance(d, m, t);
    const x = d[b + M_START_X]! + d[b + M_AXES_RX]! * dist;
    const y = d[b + M_START_Y]! + d[b + M_AXES_RY]! * dist;
    const z = d[b + M_START_Z]! + d[b + M_AXES_RZ]! * dist;
    // Shoulder-joint frame: upper arm in its xy plane, x along the shoulder platform
    const sjz = y * this.cos - x * this.sin;
    const sjx = x * this.cos + y * this.sin - this.shoulderRadius;
    const sjy = z - this.shoulderHeight;
    return twoArmAngle(sjx, sjy, this.upperArm2, this.lowerArm2 - sjz * sjz);
  }
}
