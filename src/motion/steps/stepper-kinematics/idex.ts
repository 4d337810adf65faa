// Dual-carriage (IDEX) transform around a stepper's kinematics (Klipper's kin_idex): the
// wrapped kinematics sees x' = x*xScale + xOffset and y' = y*yScale + yOffset, so a carriage
// can follow the toolhead (scale 1), mirror it (scale -1) or stay parked (scale 0, which
// also makes the stepper inactive on that axis).
//   new DualCarriageStepperKinematics(origSk); dc.setTransform("x" | "y", scale, offset)
import { StepperKinematics, AF_X, AF_Y } from "../itersolve.ts";
import { STRIDE, M_MOVE_T, M_START_X, M_START_Y, M_START_Z, M_AXES_RX, M_AXES_RY, M_AXES_RZ, moveDistance } from "../trapq.ts";

const DUMMY_T = 500.0;

export class DualCarriageStepperKinematics extends StepperKinematics {
  private xScale = 1.0;
  private xOffs = 0.;
  private yScale = 1.0;
  private yOffs = 0.;
  private readonly m = new Float64Array(STRIDE);

  constructor(readonly orig: StepperKinematics) {
    super();
    this.m[M_MOVE_T] = 2. * DUMMY_T;
    this.activeFlags = orig.activeFlags;
  }

  setTransform(axis: string, scale: number, offs: number): void {
    const flag = axis === "x" ? AF_X : axis === "y" ? AF_Y : 0;
    if (!flag) throw new Error(`dual carriage transform axis must be x or y, got '${axis}'`);
    if (flag === AF_X) { this.xScale = scale; this.xOffs = offs; }
    else { this.yScale = scale; this.yOffs = offs; }
    if (!scale) this.activeFlags &= ~flag;
    else if (this.orig.activeFlags & flag) this.activeFlags |= flag;
  }

  override calcPosition(d: Float64Array, m: number, t: number): number {
    const b = m * STRIDE, sm = this.m, dist = moveDistance(d, m, t);
    sm[M_START_X] = (d[b + M_START_X]! + d[b + M_AXES_RX]! * dist) * this.xScale + this.xOffs;
    sm[M_START_Y] = (d[b + M_START_Y]! + d[b + M_AXES_RY]! * dist) * this.yScale + this.yOffs;
    sm[M_START_Z] = d[b + M_START_Z]! + d[b + M_AXES_RZ]! * dist;
    return this.orig.calcPosition(sm, 0, DUMMY_T);
  }
}
