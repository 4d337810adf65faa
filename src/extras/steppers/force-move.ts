// Moving single steppers outside of the kinematics (Klipper's force_move):
// STEPPER_BUZZ, FORCE_MOVE, and SET_KINEMATIC_POSITION (declare where the
// toolhead is without moving). Each forced move runs on a private trapq with
// its own cartesian stepper kinematics, swapped in for the duration.
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { CartesianStepperKinematics } from "../../motion/steps/stepper-kinematics/cartesian.ts";
import { lookupMotionQueuing } from "../../motion/toolhead-module.ts";
import type { StepperKinematics } from "../../motion/steps/itersolve.ts";
import type { TrapQ } from "../../motion/steps/trapq.ts";

declare module "../../core/printer.ts" {
  interface PrinterObjects {
    force_move: PrinterForceMove;
  }
}

const BUZZ_DISTANCE = 1;
const BUZZ_VELOCITY = BUZZ_DISTANCE / 0.25;
const BUZZ_RADIANS_DISTANCE = (1 * Math.PI) / 180;
const BUZZ_RADIANS_VELOCITY = BUZZ_RADIANS_DISTANCE / 0.25;

/** Trapezoid of a straight move from rest to rest: [axis_r, accel_t, cruise_t, cruise_v]. */
export function calcMoveTime(dist: number, speed: number, accel: number): [number, number, number, number] {
  let axisR = 1;
  if (dist < 0) {
    axisR = -1;
    dist = -dist;
  }
  if (!accel || !dist) return [axisR, 0, dist / speed, speed];
  const maxCruiseV2 = dist * accel;
  if (maxCruiseV2 < speed ** 2) speed = Math.sqrt(maxCruiseV2);
  const accelT = speed / accel;
  const accelDecelD = accelT * speed;
  const cruiseT = (dist - accelDecelD) / speed;
  return [axisR, accelT, cruiseT, speed];
}

/** The stepper operations a forced move needs (McuStepper). */
export interface ForceMoveStepper {
  getName(): string;
  unitsInRadians(): boolean;
  setStepperKinematics(sk: StepperKinematics): StepperKinematics | null;
  setTrapq(tq: TrapQ | null): TrapQ | null;
  setPosition(coord: readonly number[]): void;
}

export interface ForceMoveToolhead {
  flushStepGeneration(): void;
  getLastMoveTime(): number;
  dwell(delay: number): void;
  getPosition(): number[];
  setPosition(newpos: readonly number[], homingAxes?: string): void;
  getKinematics(): { clearHomingState(axes: string): void };
}

export interface ForceMoveQueuing {
  allocateTrapq(): TrapQ;
  noteMcuMovequeueActivity(mqTime: number, isStepGen?: boolean): void;
  wipeTrapq(tq: TrapQ): void;
}

export class ForceMove {
  readonly steppers = new Map<string, ForceMoveStepper>();
  private readonly trapq: TrapQ;
  private readonly sk = new CartesianStepperKinematics("x");

  constructor(private readonly mq: ForceMoveQueuing, private readonly toolhead: () => ForceMoveToolhead) {
    this.trapq = mq.allocateTrapq();
  }

  registerStepper(stepper: ForceMoveStepper): void {
    this.steppers.set(stepper.getName(), stepper);
  }

  lookupStepper(name: string): ForceMoveStepper {
    const s = this.steppers.get(name);
    if (!s) throw new Error(`Unknown stepper ${name}`);
    return s;
  }

  /** Move one stepper by `dist` regardless of kinematics, then restore its setup. */
  manualMove(stepper: ForceMoveStepper, dist: number, speed: number, accel = 0): void {
    const th = this.toolhead();
    th.flushStepGeneration();
    const prevSk = stepper.setStepperKinematics(this.sk);
    const prevTrapq = stepper.setTrapq(this.trapq);
    stepper.setPosition([0, 0, 0]);
    const [axisR, accelT, cruiseT, cruiseV] = calcMoveTime(dist, speed, accel);
    let printTime = th.getLastMoveTime();
    this.trapq.append(printTime, accelT, cruiseT, accelT, 0, 0, 0, axisR, 0, 0, 0, cruiseV, accel);
    printTime = printTime + accelT + cruiseT + accelT;
    this.mq.noteMcuMovequeueActivity(printTime);
    th.dwell(accelT + cruiseT + accelT);
    th.flushStepGeneration();
    stepper.setTrapq(prevTrapq);
    if (prevSk) stepper.setStepperKinematics(prevSk);
    this.mq.wipeTrapq(this.trapq);
  }

  /** STEPPER_BUZZ: ten 1 mm back-and-forth moves. */
  buzz(stepper: ForceMoveStepper): void {
    const th = this.toolhead();
    const [dist, speed] = stepper.unitsInRadians() ? [BUZZ_RADIANS_DISTANCE, BUZZ_RADIANS_VELOCITY] : [BUZZ_DISTANCE, BUZZ_VELOCITY];
    for (let i = 0; i < 10; i++) {
      this.manualMove(stepper, dist, speed);
      th.dwell(0.05);
      this.manualMove(stepper, -dist, speed);
      th.dwell(0.45);
    }
  }

  /** SET_KINEMATIC_POSITION: declare the toolhead position (and homed axes). */
  setKinematicPosition(x: number | null, y: number | null, z: number | null, setHomed: string, clearHomed: string): void {
    const th = this.toolhead();
    th.getLastMoveTime();
    const cur = th.getPosition();
    const pos = [x ?? cur[0]!, y ?? cur[1]!, z ?? cur[2]!];
    const homed = [..."xyz"].filter((a) => setHomed.toLowerCase().includes(a)).join("");
    const cleared = [..."xyz"].filter((a) => clearHomed.toLowerCase().includes(a)).join("");
    th.setPosition(pos, homed);
    th.getKinematics().clearHomingState(cleared);
  }
}

/** The "force_move" printer object: registers each stepper's commands. */
class PrinterForceMove {
  readonly forceMove: ForceMove;
  private readonly enable: boolean;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    this.forceMove = new ForceMove(lookupMotionQueuing(printer), () => printer.lookupObject("toolhead"));
    this.enable = config.getBoolean("enable_force_move", false);
    if (this.enable)
      printer.gcode.register("SET_KINEMATIC_POSITION", (g: GCodeCommand) => {
        const clear = g.get("CLEAR_HOMED", null) ?? g.get("CLEAR", "");
        this.forceMove.setKinematicPosition(g.getFloat("X", null), g.getFloat("Y", null), g.getFloat("Z", null),
          g.get("SET_HOMED", "xyz"), clear);
      }, { desc: "Force a low-level kinematic position" });
  }

  private stepperEnable(): { setMotorsEnable(names: string[], en: boolean): boolean } {
    return this.printer.lookupObject("stepper_enable");
  }

  registerStepper(_config: ConfigSection, stepper: ForceMoveStepper): void {
    const fm = this.forceMove;
    fm.registerStepper(stepper);
    const name = stepper.getName();
    const gcode = this.printer.gcode;
    gcode.registerMux("STEPPER_BUZZ", "STEPPER", name, () => {
      const didEnable = this.stepperEnable().setMotorsEnable([name], true);
      fm.buzz(stepper);
      if (didEnable) this.stepperEnable().setMotorsEnable([name], false);
    }, "Oscillate a given stepper to help id it");
    if (this.enable)
      gcode.registerMux("FORCE_MOVE", "STEPPER", name, (g: GCodeCommand) => {
        const distance = g.getFloat("DISTANCE");
        const speed = g.getFloat("VELOCITY", undefined, { above: 0 });
        const accel = g.getFloat("ACCEL", 0, { minval: 0 });
        this.stepperEnable().setMotorsEnable([name], true);
        fm.manualMove(stepper, distance, speed, accel);
      }, "Manually move a stepper; invalidates kinematics");
  }
}

registerModule("force_move", (config, printer) => new PrinterForceMove(config, printer));
