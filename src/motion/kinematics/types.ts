// Shared types of the toolhead kinematics (cartesian, corexy, delta, ...).
//
// A kinematics is built from the [printer] section plus its stepper sections:
//   loadKinematics(name, toolhead, config, sections, services)  (see index.ts)
// and offers what the toolhead and homing use:
//   checkMove(move)          "Move out of range" / "Must home axis first", Z speed limits
//   setPosition(newpos, homingAxes), clearHomingState(axes), calcPosition(stepperPositions)
//   getSteppers(), getRails(), home(homingState), getStatus()
import type { MaybePromise } from "../../util/maybe-async.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import type { TrapQ } from "../steps/trapq.ts";
import type { McuStepper } from "../stepper.ts";
import type { PrinterRail, RailEndstop, RailServices, SectionSource } from "../rail.ts";

/** The move fields kinematics read (lookahead's Move). */
export interface KinMove {
  readonly startPos: readonly number[];
  readonly endPos: readonly number[];
  readonly axesD: readonly number[];
  readonly moveD: number;
  /** Squared cruise speed limit so far (polar's angular speed check). */
  readonly maxCruiseV2?: number;
  /** Acceleration limit so far (rotary delta keeps it when limiting Z speed). */
  readonly accel?: number;
  limitSpeed(speed: number, accel: number): void;
  moveError(msg?: string): Error;
}

/** What kinematics need from the toolhead. */
export interface KinToolhead {
  readonly trapq: TrapQ;
  getMaxVelocity(): [number, number];
}

/** Homing's per-G28 state (Klipper's Homing object). */
export interface KinHomingState {
  getAxes(): number[];
  setAxes(axes: number[]): void;
  /** Waits (returns a Promise) in live mode; batch homing is synchronous. */
  homeRails(rails: PrinterRail<any>[], forcepos: (number | null)[], movepos: (number | null)[]): MaybePromise<void>;
  /** Declare the toolhead at `pos` without moving (winch "homing"). */
  setHomedPosition?(pos: readonly (number | null)[]): void;
}

/** Printer services for kinematics that add commands and objects (a Printer fits). */
export interface KinematicsHost {
  readonly gcode: { register(cmd: string, handler: (g: GCodeCommand) => void, opts?: { desc?: string }): unknown };
  addObject(name: string, obj: unknown): void;
  registerEventHandler(event: string, cb: (...args: any[]) => unknown): void;
  sendEvent(event: string, ...args: unknown[]): unknown;
  lookupObject<T = unknown>(name: string): T;
}

export interface KinematicsEnv<E extends RailEndstop = RailEndstop> {
  toolhead: KinToolhead;
  /** Needed by generic_cartesian (commands, dual carriages); optional for the others. */
  host?: KinematicsHost;
  /** The [printer] section. */
  config: ConfigSection;
  sections: SectionSource;
  services: RailServices<E>;
}

export interface Kinematics {
  getSteppers(): McuStepper[];
  getRails(): PrinterRail<any>[];
  calcPosition(stepperPositions: Record<string, number>): (number | null)[];
  setPosition(newpos: readonly number[], homingAxes: string): void;
  clearHomingState(axes: string): void;
  home(homingState: KinHomingState): MaybePromise<void>;
  checkMove(move: KinMove): void;
  getStatus(): Record<string, unknown>;
}
