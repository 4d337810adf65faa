// [manual_stepper NAME] (Klipper's manual_stepper): a stepper moved by
// MANUAL_STEPPER commands on its own timeline (next_cmd_time) that is kept in
// step with the toolhead, optionally homed against an endstop, or registered
// as an extra g-code axis of the toolhead (GCODE_AXIS=A).
import { calcMoveTime } from "./force-move.ts";
import type { NamedEndstop } from "./homing.ts";
import type { Move } from "./lookahead.ts";
import type { TrapQ } from "./trapq.ts";

export interface ManualStepperOptions {
  name: string;
  velocity: number;
  accel: number;
  positionMin: number | null;
  positionMax: number | null;
}

/** The stepper (or rail with an endstop) driven by a manual stepper. */
export interface ManualRail {
  getName(): string;
  setTrapq(tq: TrapQ | null): void;
  setPosition(coord: readonly number[]): void;
  getEndstops(): NamedEndstop[] | null;
}

export interface ManualStepperToolhead {
  getLastMoveTime(): number;
  dwell(delay: number): void;
  flushStepGeneration(): void;
}

export interface ManualStepperQueuing {
  noteMcuMovequeueActivity(mqTime: number, isStepGen?: boolean): void;
  dripUpdateTime(startTime: number, endTime: number, completion: { test(): boolean }): void;
  wipeTrapq(tq: TrapQ): void;
}

export class ManualStepper {
  readonly name: string;
  readonly velocity: number;
  readonly accel: number;
  homingAccel: number;
  nextCmdTime = 0;
  commandedPos = 0;
  readonly posMin: number | null;
  readonly posMax: number | null;
  axisGcodeId: string | null = null;
  instantCornerV = 0;
  gaxisLimitVelocity = 0;
  gaxisLimitAccel = 0;

  constructor(
    opts: ManualStepperOptions,
    readonly rail: ManualRail,
    readonly trapq: TrapQ,
    private readonly mq: ManualStepperQueuing,
    private readonly toolhead: () => ManualStepperToolhead,
    /** Steppers as homing sees them (for getSteppers / calcPosition). */
    readonly steppers: { getName(): string }[],
  ) {
    this.name = opts.name;
    this.velocity = opts.velocity;
    this.accel = this.homingAccel = opts.accel;
    this.posMin = opts.positionMin;
    this.posMax = opts.positionMax;
  }

  getName(): string {
    return this.name;
  }

  /** Bring next_cmd_time and the toolhead's print time together. */
  syncPrintTime(): void {
    const th = this.toolhead();
    const printTime = th.getLastMoveTime();
    if (this.nextCmdTime > printTime) th.dwell(this.nextCmdTime - printTime);
    else this.nextCmdTime = printTime;
  }

  inRange(pos: number): boolean {
    return !((this.posMin !== null && pos < this.posMin) || (this.posMax !== null && pos > this.posMax));
  }

  doSetPosition(setpos: number): void {
    this.toolhead().flushStepGeneration();
    this.commandedPos = setpos;
    this.rail.setPosition([this.commandedPos, 0, 0]);
  }

  private submitMove(movetime: number, movepos: number, speed: number, accel: number): number {
    const cp = this.commandedPos;
    const [axisR, accelT, cruiseT, cruiseV] = calcMoveTime(movepos - cp, speed, accel);
    this.trapq.append(movetime, accelT, cruiseT, accelT, cp, 0, 0, axisR, 0, 0, 0, cruiseV, accel);
    this.commandedPos = movepos;
    return movetime + accelT + cruiseT + accelT;
  }

  doMove(movepos: number, speed: number, accel: number, sync = true): void {
    this.syncPrintTime();
    this.nextCmdTime = this.submitMove(this.nextCmdTime, movepos, speed, accel);
    this.mq.noteMcuMovequeueActivity(this.nextCmdTime);
    if (sync) this.syncPrintTime();
  }

  // ---- extra g-code axis ----
  processMove(printTime: number, move: Move, eaIndex: number): void {
    const axisR = move.axesR[eaIndex]!;
    this.trapq.append(printTime, move.accelT, move.cruiseT, move.decelT, move.startPos[eaIndex]!, 0, 0, 1, 0, 0,
      move.startV * axisR, move.cruiseV * axisR, move.accel * axisR);
    this.commandedPos = move.endPos[eaIndex]!;
  }

  checkMove(move: Move, eaIndex: number): void {
    if (!this.inRange(move.endPos[eaIndex]!)) throw move.moveError();
    const axisRatio = move.moveD / Math.abs(move.axesD[eaIndex]!);
    const limitVelocity = this.gaxisLimitVelocity * axisRatio;
    let limitAccel = this.gaxisLimitAccel * axisRatio;
    if (!move.isKinematicMove && this.accel) limitAccel = Math.min(limitAccel, this.accel * axisRatio);
    move.limitSpeed(limitVelocity, limitAccel);
  }

  calcJunction(prev: Move, move: Move, eaIndex: number): number {
    const diffR = move.axesR[eaIndex]! - prev.axesR[eaIndex]!;
    if (diffR) return (this.instantCornerV / Math.abs(diffR)) ** 2;
    return move.maxCruiseV2;
  }

  getAxisGcodeId(): string | null {
    return this.axisGcodeId;
  }

  // ---- toolhead-like interface for homing ----
  flushStepGeneration(): void {
    this.toolhead().flushStepGeneration();
  }
  getPosition(): number[] {
    return [this.commandedPos, 0, 0, 0];
  }
  setPosition(newpos: readonly number[]): void {
    this.doSetPosition(newpos[0]!);
  }
  getLastMoveTime(): number {
    this.syncPrintTime();
    return this.nextCmdTime;
  }
  dwell(delay: number): void {
    this.nextCmdTime += Math.max(0, delay);
  }
  move(): void {
    throw new Error("manual_stepper: homing retract moves are not supported");
  }
  dripMove(newpos: readonly number[], speed: number, completion: { test(): boolean }): void {
    this.syncPrintTime();
    const startTime = this.nextCmdTime;
    const endTime = this.submitMove(startTime, newpos[0]!, speed, this.homingAccel);
    this.mq.dripUpdateTime(startTime, endTime, completion);
    this.mq.wipeTrapq(this.trapq);
  }
  getKinematics(): this {
    return this;
  }
  getSteppers(): { getName(): string }[] {
    return this.steppers;
  }
  calcPosition(stepperPositions: Record<string, number>): number[] {
    return [stepperPositions[this.rail.getName()]!, 0, 0];
  }
}
