// [manual_stepper NAME] (Klipper's manual_stepper): a stepper moved by
// MANUAL_STEPPER commands on its own timeline (next_cmd_time) that is kept in
// step with the toolhead, optionally homed against an endstop, or registered
// as an extra g-code axis of the toolhead (GCODE_AXIS=A).
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { calcMoveTime } from "./force-move.ts";
import { CartesianStepperKinematics } from "../../motion/steps/stepper-kinematics/cartesian.ts";
import { detach, type MaybePromise, then } from "../../util/maybe-async.ts";
import { lookupRail } from "../../motion/rail.ts";
import { printerStepper, type McuStepper } from "../../motion/stepper.ts";
import { lookupMotionQueuing, motionServices } from "../../motion/toolhead-module.ts";
import type { HomingMotor, NamedEndstop } from "../../motion/homing.ts";
import type { Move } from "../../motion/lookahead.ts";
import type { TrapQ } from "../../motion/steps/trapq.ts";

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
  dwell(delay: number): MaybePromise<void>;
  flushStepGeneration(): void;
}

export interface ManualStepperQueuing {
  noteMcuMovequeueActivity(mqTime: number, isStepGen?: boolean): void;
  dripUpdateTime(startTime: number, endTime: number, completion: { test(): boolean }): MaybePromise<void>;
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
    readonly steppers: HomingMotor[],
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
  syncPrintTime(): MaybePromise<void> {
    const th = this.toolhead();
    const printTime = th.getLastMoveTime();
    if (this.nextCmdTime > printTime) return th.dwell(this.nextCmdTime - printTime);
    this.nextCmdTime = printTime;
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

  doMove(movepos: number, speed: number, accel: number, sync = true): MaybePromise<void> {
    return then(this.syncPrintTime(), () => {
      this.nextCmdTime = this.submitMove(this.nextCmdTime, movepos, speed, accel);
      this.mq.noteMcuMovequeueActivity(this.nextCmdTime);
      if (sync) return this.syncPrintTime();
    });
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
    // The dwell is queued at once; only its wait for a full move buffer is left behind (a sync interface)
    detach(this.syncPrintTime(), (e) => console.error(`manual_stepper: ${(e as Error)?.message ?? e}`));
    return this.nextCmdTime;
  }
  dwell(delay: number): MaybePromise<void> {
    this.nextCmdTime += Math.max(0, delay);
  }
  move(): void {
    throw new Error("manual_stepper: homing retract moves are not supported");
  }
  dripMove(newpos: readonly number[], speed: number, completion: { test(): boolean }): MaybePromise<void> {
    return then(this.syncPrintTime(), () => {
      const startTime = this.nextCmdTime;
      const endTime = this.submitMove(startTime, newpos[0]!, speed, this.homingAccel);
      return then(this.mq.dripUpdateTime(startTime, endTime, completion), () => this.mq.wipeTrapq(this.trapq));
    });
  }
  getKinematics(): this {
    return this;
  }
  getSteppers(): HomingMotor[] {
    return this.steppers;
  }
  calcPosition(stepperPositions: Record<string, number>): number[] {
    return [stepperPositions[this.rail.getName()]!, 0, 0];
  }
}

/** Build a [manual_stepper NAME] printer object and its MANUAL_STEPPER command. */
function buildManualStepper(config: ConfigSection, printer: Printer): ManualStepper {
  const services = motionServices(printer);
  let rail: ManualRail;
  let steppers: McuStepper[];
  let setupItersolve: (make: () => CartesianStepperKinematics) => void;
  const hasEndstop = config.get("endstop_pin", null) !== null;
  if (hasEndstop) {
    const r = lookupRail(config, services, { needPositionMinmax: false, defaultPositionEndstop: 0 });
    steppers = r.getSteppers();
    rail = { getName: () => r.getName(), setTrapq: (tq) => r.setTrapq(tq), setPosition: (c) => r.setPosition(c), getEndstops: () => r.getEndstops() };
    setupItersolve = (make) => r.setupItersolve(make);
  } else {
    const s = printerStepper(config, services);
    steppers = [s];
    rail = { getName: () => s.getName(), setTrapq: (tq) => void s.setTrapq(tq), setPosition: (c) => s.setPosition(c), getEndstops: () => null };
    setupItersolve = (make) => void s.setStepperKinematics(make());
  }
  const opts: ManualStepperOptions = {
    name: config.getName(),
    velocity: config.getFloat("velocity", 5, { above: 0 }),
    accel: config.getFloat("accel", 0, { minval: 0 }),
    positionMin: config.getFloat("position_min", null),
    positionMax: config.getFloat("position_max", null),
  };
  const mq = lookupMotionQueuing(printer);
  const trapq = mq.allocateTrapq();
  setupItersolve(() => new CartesianStepperKinematics("x"));
  rail.setTrapq(trapq);
  const toolhead = () => printer.lookupObject("toolhead");
  const ms = new ManualStepper(opts, rail, trapq, mq, toolhead, steppers);
  const stepperName = config.getName().split(/\s+/)[1]!;
  printer.gcode.registerMux("MANUAL_STEPPER", "STEPPER", stepperName, (g) => cmdManualStepper(printer, ms, g, hasEndstop),
    "Command a manually configured stepper");
  return ms;
}

function cmdManualStepper(printer: Printer, ms: ManualStepper, g: GCodeCommand, canHome: boolean): MaybePromise<void> {
  if (g.get("GCODE_AXIS", null) !== null) return commandWithGcodeAxis(printer, ms, g);
  if (ms.axisGcodeId !== null) throw g.error("Must unregister from gcode axis first");
  const enable = g.getInt("ENABLE", null);
  if (enable !== null) {
    const names = ms.steppers.map((s) => s.getName());
    printer.lookupObject("stepper_enable").setMotorsEnable(names, !!enable);
  }
  const setpos = g.getFloat("SET_POSITION", null);
  if (setpos !== null) ms.doSetPosition(setpos);
  const speed = g.getFloat("SPEED", ms.velocity, { above: 0 });
  const accel = g.getFloat("ACCEL", ms.accel, { minval: 0 });
  let homingMove = g.get("STOP_ON_ENDSTOP", null);
  if (homingMove !== null) {
    const oldMap: Record<string, string> = { "-2": "try_inverted_home", "-1": "inverted_home", "1": "home", "2": "try_home" };
    homingMove = oldMap[homingMove] ?? homingMove;
    const isTry = homingMove.startsWith("try_");
    if (isTry) homingMove = homingMove.slice(4);
    const isInverted = homingMove.startsWith("inverted_");
    if (isInverted) homingMove = homingMove.slice(9);
    if (homingMove !== "probe" && homingMove !== "home") throw g.error("Unknown STOP_ON_ENDSTOP request");
    const movepos = g.getFloat("MOVE");
    if (!ms.inRange(movepos)) throw g.error("Move out of range");
    if (!canHome) throw g.error("No endstop for this manual stepper");
    ms.homingAccel = accel;
    const homing = printer.lookupObject("homing");
    return then(homing.manualHome(ms, ms.rail.getEndstops()!, [movepos, 0, 0, 0], speed, homingMove === "probe", !isInverted, !isTry),
      () => ms.syncPrintTime());
  } else if (g.getFloat("MOVE", null) !== null) {
    const movepos = g.getFloat("MOVE");
    if (!ms.inRange(movepos)) throw g.error("Move out of range");
    return ms.doMove(movepos, speed, accel, !!g.getInt("SYNC", 1));
  } else if (g.getInt("SYNC", 0)) {
    return ms.syncPrintTime();
  }
}

/** MANUAL_STEPPER GCODE_AXIS=A: drive the stepper from g-code moves as an extra axis. */
function commandWithGcodeAxis(printer: Printer, ms: ManualStepper, g: GCodeCommand): void {
  const toolhead = printer.lookupObject("toolhead");
  const gcodeAxis = g.get("GCODE_AXIS").toUpperCase();
  const instantCornerV = g.getFloat("INSTANTANEOUS_CORNER_VELOCITY", 1, { minval: 0 });
  const limitVelocity = g.getFloat("LIMIT_VELOCITY", 999999.9, { above: 0 });
  const limitAccel = g.getFloat("LIMIT_ACCEL", 999999.9, { above: 0 });
  if (ms.axisGcodeId !== null) {
    if (gcodeAxis) throw g.error("Must unregister axis first");
    toolhead.removeExtraAxis(ms);
    ms.axisGcodeId = null;
    return;
  }
  if (gcodeAxis.length !== 1 || !/[A-Z]/.test(gcodeAxis) || "XYZEFN".includes(gcodeAxis)) {
    if (!gcodeAxis) return;
    throw g.error("Not a valid GCODE_AXIS");
  }
  for (const ea of toolhead.getExtraAxes())
    if (ea && ea.getAxisGcodeId() === gcodeAxis) throw g.error(`Axis '${gcodeAxis}' already registered`);
  ms.axisGcodeId = gcodeAxis;
  ms.instantCornerV = instantCornerV;
  ms.gaxisLimitVelocity = limitVelocity;
  ms.gaxisLimitAccel = limitAccel;
  toolhead.addExtraAxis(ms, ms.commandedPos);
}

registerModule("manual_stepper ", (config, printer) => buildManualStepper(config, printer));
