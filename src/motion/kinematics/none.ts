// "none" kinematics: no motion axes (e.g. a printer that only drives an extruder or tools).
import type { McuStepper } from "../stepper.ts";
import type { PrinterRail } from "../rail.ts";
import type { Kinematics } from "./types.ts";

export class NoneKinematics implements Kinematics {
  getSteppers(): McuStepper[] { return []; }
  getRails(): PrinterRail<any>[] { return []; }
  calcPosition(): number[] { return [0, 0, 0]; }
  setPosition(): void {}
  clearHomingState(): void {}
  home(): void {}
  checkMove(): void {}
  getStatus(): Record<string, unknown> {
    return { homed_axes: "", axis_minimum: [0, 0, 0, 0], axis_maximum: [0, 0, 0, 0] };
  }
}
