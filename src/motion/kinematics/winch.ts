// Cable winch kinematics (Klipper's kinematics/winch.py): 3 to 26 steppers
// ([stepper_a], [stepper_b], ...) each winding a cable to an anchor (anchor_x/y/z). As in
// Klipper there is no homing (G28 declares the current position 0,0,0) and no range check.
import { printerStepper, type McuStepper } from "../stepper.ts";
import type { PrinterRail } from "../rail.ts";
import { WinchStepperKinematics } from "../steps/stepper-kinematics/winch.ts";
import { trilateration } from "./delta.ts";
import type { Kinematics, KinematicsEnv, KinHomingState } from "./types.ts";

type V3 = [number, number, number];

export class WinchKinematics implements Kinematics {
  private readonly steppers: McuStepper[] = [];
  readonly anchors: V3[] = [];
  private readonly axesMin: number[];
  private readonly axesMax: number[];

  constructor(env: KinematicsEnv) {
    for (let i = 0; i < 26; i++) {
      const name = "stepper_" + String.fromCharCode(97 + i);
      if (i >= 3 && !env.sections.hasSection(name)) break;
      const sc = env.sections.getSection(name);
      const s = printerStepper(sc, env.services);
      this.steppers.push(s);
      const a = ["x", "y", "z"].map((n) => sc.getFloat("anchor_" + n)) as V3;
      this.anchors.push(a);
      s.setStepperKinematics(new WinchStepperKinematics(a[0], a[1], a[2]));
      s.setTrapq(env.toolhead.trapq);
    }
    this.axesMin = [0, 1, 2].map((k) => Math.min(...this.anchors.map((a) => a[k]!))).concat(0);
    this.axesMax = [0, 1, 2].map((k) => Math.max(...this.anchors.map((a) => a[k]!))).concat(0);
    this.setPosition([0., 0., 0.]);
  }

  getSteppers(): McuStepper[] { return [...this.steppers]; }
  getRails(): PrinterRail<any>[] { return []; }

  calcPosition(p: Record<string, number>): number[] {
    const pos = this.steppers.slice(0, 3).map((s) => p[s.getName()]!);
    return trilateration(this.anchors.slice(0, 3) as [V3, V3, V3], pos.map((sp) => sp * sp));
  }

  setPosition(newpos: readonly number[]): void {
    for (const s of this.steppers) s.setPosition(newpos);
  }

  clearHomingState(): void {}

  home(homingState: KinHomingState): void {
    homingState.setAxes([0, 1, 2]);
    homingState.setHomedPosition?.([0., 0., 0.]);
  }

  checkMove(): void {}

  getStatus(): Record<string, unknown> {
    return { homed_axes: "xyz", axis_minimum: [...this.axesMin], axis_maximum: [...this.axesMax] };
  }
}
