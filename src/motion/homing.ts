// Homing and probing moves (Klipper's homing.py): arm the endstops, step the
// move out in "drip" mode, then settle the toolhead position from where the
// steppers stopped. G28 asks the kinematics to home the requested axes, which
// call back into Homing.homeRails() per rail group.
import { GCodeError } from "../core/gcode/errors.ts";
import { type Printer, registerModule } from "../core/printer.ts";

declare module "../core/printer.ts" {
  interface PrinterObjects {
    homing: PrinterHoming;
  }
}
import { Completion, MultiCompletion, type McuEndstop } from "../core/mcu-pins/mcu-endstop.ts";
import { type MaybePromise, runMaybeAsync } from "../util/maybe-async.ts";

const HOMING_START_DELAY = 0.001;
const ENDSTOP_SAMPLE_TIME = 0.000015;
const ENDSTOP_SAMPLE_COUNT = 4;

/** A stepper as homing reads it. */
export interface HomingMotor {
  getName(): string;
  getStepDist(): number;
  calcPositionFromCoord(coord: readonly number[]): number;
  getCommandedPosition(): number;
  getMcuPosition(cmdPos?: number): number;
  mcuToCommandedPosition(mcuPos: number): number;
  getPastMcuPosition(printTime: number): number;
}

/** Endstop with the name homing reports it under. */
export type NamedEndstop = [McuEndstop, string];

export interface HomingKinematics {
  getSteppers(): HomingMotor[];
  calcPosition(stepperPositions: Record<string, number>): (number | null)[];
}

/** The toolhead, or anything acting like one for homing (manual_stepper). */
export interface HomingToolhead {
  flushStepGeneration(): void;
  getKinematics(): HomingKinematics;
  getLastMoveTime(): number;
  dwell(delay: number): MaybePromise<void>;
  dripMove(newpos: readonly number[], speed: number, completion: { test(): boolean }): MaybePromise<void>;
  getPosition(): number[];
  setPosition(newpos: readonly number[], homingAxes?: string): void;
  move(newpos: readonly number[], speed: number): MaybePromise<void>;
}

export interface HomingInfo {
  speed: number;
  positionEndstop: number;
  retractSpeed: number;
  retractDist: number;
  positiveDir: boolean;
  secondHomingSpeed: number;
}

export interface HomingRail {
  getEndstops(): NamedEndstop[];
  getHomingInfo(): HomingInfo;
}

/** Printer services homing uses: events and the command error type. */
export interface HomingHost {
  sendEvent(name: string, ...args: unknown[]): void;
  commandError(msg: string): Error;
  isCommandError(e: unknown): boolean;
  /** True when input comes from a file (batch): "no movement" checks are skipped. */
  isFileInput(): boolean;
  /** A synthetic command (for the probe while homing Z with it). */
  createCommand(command: string, commandline: string, params: Record<string, string>): HomingProbeCommand;
  /** The [probe] object (throws when there is none). */
  lookupProbe(): HomingProbe;
}

/** A command handed to the probe (the parameters it reads). */
export interface HomingProbeCommand {
  getCommand(): string;
  get(name: string, def: string | null): string | null;
  getFloat(name: string, def: number, bounds?: { above?: number; minval?: number }): number;
  getInt(name: string, def: number, bounds?: { minval?: number }): number;
  respondInfo(msg: string): void;
  error(msg: string): Error;
}

/** The probe as homing uses it. */
export interface HomingProbe {
  startProbeSession(g: HomingProbeCommand | null): unknown;
  runProbe(g: HomingProbeCommand): MaybePromise<void>;
  pullProbedResults(): { bedZ: number }[];
  endProbeSession(): void;
}

class StepperPosition {
  readonly stepperName: string;
  readonly startPos: number;
  readonly startCmdPos: number;
  haltPos = 0;
  trigPos = 0;
  constructor(readonly stepper: HomingMotor, readonly endstopName: string) {
    this.stepperName = stepper.getName();
    this.startPos = stepper.getMcuPosition();
    this.startCmdPos = stepper.mcuToCommandedPosition(this.startPos);
  }
  noteHomeEnd(triggerTime: number): void {
    this.haltPos = this.stepper.getMcuPosition();
    this.trigPos = this.stepper.getPastMcuPosition(triggerTime);
  }
}

export class HomingMove {
  readonly endstops: NamedEndstop[];
  stepperPositions: StepperPosition[] = [];

  constructor(private readonly host: HomingHost, endstops: NamedEndstop[], private readonly toolhead: HomingToolhead) {
    this.endstops = endstops.filter(([es]) => es.getSteppers().length > 0);
  }

  private calcEndstopRate(endstop: McuEndstop, movepos: readonly number[], speed: number): number {
    const startpos = this.toolhead.getPosition();
    const axesD = movepos.map((mp, i) => mp - startpos[i]!);
    const moveD = Math.sqrt(axesD[0]! ** 2 + axesD[1]! ** 2 + axesD[2]! ** 2);
    const moveT = moveD / speed;
    const motors = new Map(this.toolhead.getKinematics().getSteppers().map((s) => [s.getName(), s]));
    let maxSteps = -Infinity;
    for (const s of endstop.getSteppers()) {
      const m = motors.get(s.getName()) ?? (s as unknown as HomingMotor);
      const steps = Math.abs(m.calcPositionFromCoord(startpos) - m.calcPositionFromCoord(movepos)) / m.getStepDist();
      maxSteps = Math.max(maxSteps, steps);
    }
    if (maxSteps <= 0) return 0.001;
    return moveT / maxSteps;
  }

  private calcToolheadPos(kinSpos: Record<string, number>, offsets: Record<string, number>): number[] {
    const spos = { ...kinSpos };
    const kin = this.toolhead.getKinematics();
    for (const s of kin.getSteppers()) {
      const n = s.getName();
      spos[n] = spos[n]! + (offsets[n] ?? 0) * s.getStepDist();
    }
    const thpos = this.toolhead.getPosition();
    const cpos = kin.calcPosition(spos);
    return [...[0, 1, 2].map((i) => cpos[i] ?? thpos[i]!), ...thpos.slice(3)];
  }

  /** One homing/probing move; the toolhead position at the trigger (a Promise in live mode). */
  homingMove(movepos: readonly number[], speed: number, probePos = false, triggered = true, checkTriggered = true): MaybePromise<number[]> {
    return runMaybeAsync(this.homingMoveSteps(movepos, speed, probePos, triggered, checkTriggered));
  }

  private *homingMoveSteps(movepos: readonly number[], speed: number, probePos: boolean, triggered: boolean,
    checkTriggered: boolean): Generator<unknown, number[], unknown> {
    this.host.sendEvent("homing:homing_move_begin", this);
    const th = this.toolhead;
    th.flushStepGeneration();
    const kin = th.getKinematics();
    const kinSpos: Record<string, number> = {};
    for (const s of kin.getSteppers()) kinSpos[s.getName()] = s.getCommandedPosition();
    const motors = new Map(kin.getSteppers().map((s) => [s.getName(), s]));
    this.stepperPositions = this.endstops.flatMap(([es, name]) =>
      es.getSteppers().map((s) => new StepperPosition(motors.get(s.getName()) ?? (s as unknown as HomingMotor), name)));
    // Arm the endstops
    const printTime = th.getLastMoveTime();
    const triggers: Completion[] = [];
    for (const [es] of this.endstops) {
      const restTime = this.calcEndstopRate(es, movepos, speed);
      triggers.push(es.homeStart(printTime, ENDSTOP_SAMPLE_TIME, ENDSTOP_SAMPLE_COUNT, restTime, triggered));
    }
    const allTriggered = triggers.length === 1 ? triggers[0]! : new MultiCompletion(triggers);
    yield th.dwell(HOMING_START_DELAY);
    let error: string | null = null;
    try {
      yield th.dripMove(movepos, speed, allTriggered);
    } catch (e) {
      if (!this.host.isCommandError(e)) throw e;
      error = `Error during homing move: ${(e as Error).message}`;
    }
    // Wait for the endstops
    const triggerTimes = new Map<string, number>();
    const moveEndPrintTime = th.getLastMoveTime();
    for (const [es, name] of this.endstops) {
      let triggerTime: number;
      try {
        triggerTime = (yield es.homeWait(moveEndPrintTime)) as number;
      } catch (e) {
        if (error === null) error = `Error during homing ${name}: ${(e as Error).message}`;
        continue;
      }
      if (triggerTime > 0) triggerTimes.set(name, triggerTime);
      else if (checkTriggered && error === null) error = `No trigger on ${name} after full movement`;
    }
    // Where did the steppers stop?
    th.flushStepGeneration();
    for (const sp of this.stepperPositions) sp.noteHomeEnd(triggerTimes.get(sp.endstopName) ?? moveEndPrintTime);
    let trigpos: number[];
    if (probePos) {
      const haltSteps: Record<string, number> = {}, trigSteps: Record<string, number> = {};
      for (const sp of this.stepperPositions) {
        haltSteps[sp.stepperName] = sp.haltPos - sp.startPos;
        trigSteps[sp.stepperName] = sp.trigPos - sp.startPos;
      }
      trigpos = this.calcToolheadPos(kinSpos, trigSteps);
      let haltpos = trigpos;
      if (Object.keys(trigSteps).some((k) => trigSteps[k] !== haltSteps[k])) haltpos = this.calcToolheadPos(kinSpos, haltSteps);
      th.setPosition(haltpos);
    } else {
      trigpos = movepos.slice();
      let haltpos = trigpos;
      const overSteps: Record<string, number> = {};
      for (const sp of this.stepperPositions) overSteps[sp.stepperName] = sp.haltPos - sp.trigPos;
      if (Object.values(overSteps).some((v) => v !== 0)) {
        th.setPosition(movepos);
        const haltKinSpos: Record<string, number> = {};
        for (const s of kin.getSteppers()) haltKinSpos[s.getName()] = s.getCommandedPosition();
        haltpos = this.calcToolheadPos(haltKinSpos, overSteps);
      }
      th.setPosition(haltpos);
    }
    try {
      this.host.sendEvent("homing:homing_move_end", this);
    } catch (e) {
      if (!this.host.isCommandError(e)) throw e;
      if (error === null) error = (e as Error).message;
    }
    if (error !== null) throw this.host.commandError(error);
    return trigpos;
  }

  /** Name of an endstop whose steppers did not move (live mode only). */
  checkNoMovement(): string | null {
    if (this.host.isFileInput()) return null;
    for (const sp of this.stepperPositions) if (sp.startPos === sp.trigPos) return sp.endstopName;
    return null;
  }
}

/** State of one G28 request, handed to the kinematics. */
export class Homing {
  private changedAxes: number[] = [];
  triggerMcuPos: Record<string, number> = {};
  adjustPos: Record<string, number> = {};

  constructor(private readonly host: HomingHost, private readonly toolhead: HomingToolhead & { getKinematics(): HomingKinematics }) {}

  setAxes(axes: number[]): void {
    this.changedAxes = axes;
  }
  getAxes(): number[] {
    return this.changedAxes;
  }
  getTriggerPosition(stepperName: string): number {
    return this.triggerMcuPos[stepperName]!;
  }
  setStepperAdjustment(stepperName: string, adjustment: number): void {
    this.adjustPos[stepperName] = adjustment;
  }

  private fillCoord(coord: readonly (number | null)[]): number[] {
    const th = this.toolhead.getPosition();
    coord.forEach((c, i) => {
      if (c !== null) th[i] = c;
    });
    return th;
  }

  setHomedPosition(pos: readonly (number | null)[]): void {
    this.toolhead.setPosition(this.fillCoord(pos));
  }

  private setStartPosition(forcepos: readonly (number | null)[]): void {
    const homingAxes = [0, 1, 2].filter((a) => forcepos[a] !== null).map((a) => "xyz"[a]).join("");
    this.toolhead.setPosition(this.fillCoord(forcepos), homingAxes);
  }

  private *retractMove(info: HomingInfo, forcepos: readonly (number | null)[], movepos: readonly (number | null)[]): Generator<unknown, number[], unknown> {
    const startpos = this.fillCoord(forcepos);
    const homepos = this.fillCoord(movepos);
    const axesD = homepos.map((hp, i) => hp - startpos[i]!);
    const moveD = Math.sqrt(axesD[0]! ** 2 + axesD[1]! ** 2 + axesD[2]! ** 2);
    const retractR = Math.min(1, info.retractDist / moveD);
    const retractpos = homepos.map((hp, i) => hp - axesD[i]! * retractR);
    yield this.toolhead.move(retractpos, info.retractSpeed);
    // Pretend to be far away again for the second approach
    const newStart = retractpos.map((rp, i) => rp - axesD[i]! * retractR);
    this.toolhead.setPosition(newStart);
    return homepos;
  }

  /** Home a group of rails that move together (e.g. one axis, or all delta towers). */
  homeRails(rails: HomingRail[], forcepos: (number | null)[], movepos: (number | null)[]): MaybePromise<void> {
    const endstops = rails.flatMap((r) => r.getEndstops());
    const isProbe = endstops.map(([es]) => typeof (es as { getPositionEndstop?: unknown }).getPositionEndstop === "function");
    if (endstops.length === 1 && isProbe[0]) return runMaybeAsync(this.homeZViaProbe(rails, forcepos, movepos));
    if (isProbe.some(Boolean)) throw this.host.commandError("Can't home to mix of probe:z_virtual_endstop rails");
    return runMaybeAsync(this.homeToEndstops(rails, forcepos, movepos));
  }

  /** G28 parameters the probe sees while homing Z with it. */
  private probeCommand(attempt: number, speed: number): HomingProbeCommand {
    return this.host.createCommand("G28", "", { HOME_ATTEMPT_NUM: String(attempt), SAMPLES: "1", PROBE_SPEED: String(speed) });
  }

  private *homeZViaProbe(rails: HomingRail[], forcepos: (number | null)[], movepos: (number | null)[]): Generator<unknown, void, unknown> {
    if (movepos[0] !== null || movepos[1] !== null) throw this.host.commandError("Can only home Z with probe:z_virtual_endstop");
    const info = rails[0]!.getHomingInfo();
    const probe = this.host.lookupProbe();
    probe.startProbeSession(this.probeCommand(1, info.speed));
    this.setStartPosition(forcepos);
    yield* this.probeOnce(probe, 1, info.speed);
    if (info.retractDist) {
      yield* this.retractMove(info, forcepos, movepos);
      yield* this.probeOnce(probe, 2, info.secondHomingSpeed);
    }
    yield probe.endProbeSession();
  }

  private *probeOnce(probe: HomingProbe, attempt: number, speed: number): Generator<unknown, void, unknown> {
    yield probe.runProbe(this.probeCommand(attempt, speed));
    const ppos = probe.pullProbedResults()[0]!;
    const curpos = this.toolhead.getPosition();
    curpos[2] = curpos[2]! - ppos.bedZ;
    this.toolhead.setPosition(curpos);
  }

  private *homeToEndstops(rails: HomingRail[], forcepos: (number | null)[], movepos: (number | null)[]): Generator<unknown, void, unknown> {
    this.host.sendEvent("homing:home_rails_begin", this, rails);
    const endstops = rails.flatMap((r) => r.getEndstops());
    let homepos = this.fillCoord(movepos);
    this.setStartPosition(forcepos);
    const info = rails[0]!.getHomingInfo();
    let hmove = new HomingMove(this.host, endstops, this.toolhead);
    yield hmove.homingMove(homepos, info.speed);
    if (info.retractDist) {
      homepos = yield* this.retractMove(info, forcepos, movepos);
      hmove = new HomingMove(this.host, endstops, this.toolhead);
      yield hmove.homingMove(homepos, info.secondHomingSpeed);
      const stuck = hmove.checkNoMovement();
      if (stuck !== null) throw this.host.commandError(`Endstop ${stuck} still triggered after retract`);
    }
    this.toolhead.flushStepGeneration();
    this.triggerMcuPos = {};
    for (const sp of hmove.stepperPositions) this.triggerMcuPos[sp.stepperName] = sp.trigPos;
    this.adjustPos = {};
    this.host.sendEvent("homing:home_rails_end", this, rails);
    if (Object.values(this.adjustPos).some((v) => v)) {
      // Homing offsets (endstop_phase, ...)
      const kin = this.toolhead.getKinematics();
      const hpos = this.toolhead.getPosition();
      const kinSpos: Record<string, number> = {};
      for (const s of kin.getSteppers()) kinSpos[s.getName()] = s.getCommandedPosition() + (this.adjustPos[s.getName()] ?? 0);
      const newpos = kin.calcPosition(kinSpos);
      for (let axis = 0; axis < 3; axis++) {
        if (forcepos[axis] === null) continue;
        const np = newpos[axis];
        if (np === null || np === undefined)
          throw this.host.commandError(`Cannot determine position of toolhead on axis ${"xyz"[axis]} after homing`);
        hpos[axis] = np;
      }
      this.toolhead.setPosition(hpos);
    }
  }
}

/** Runs an endstop homing move for something that is not the toolhead (manual_stepper). */
export function manualHome(
  host: HomingHost,
  toolhead: HomingToolhead,
  endstops: NamedEndstop[],
  pos: readonly number[],
  speed: number,
  probePos: boolean,
  triggered: boolean,
  checkTriggered: boolean,
): MaybePromise<number[]> {
  const hmove = new HomingMove(host, endstops, toolhead);
  return hmove.homingMove(pos, speed, probePos, triggered, checkTriggered);
}

/** HomingHost backed by the printer object registry. */
export function printerHomingHost(printer: Printer): HomingHost {
  return {
    sendEvent: (name, ...args) => void printer.sendEvent(name, ...args),
    commandError: (msg) => new GCodeError(msg),
    isCommandError: (e) => e instanceof GCodeError,
    isFileInput: () => printer.startArgs.debuginput !== undefined,
    createCommand: (command, commandline, params) => printer.gcode.createCommand(command, commandline, params),
    lookupProbe: () => printer.lookupObject<HomingProbe>("probe"),
  };
}

interface HomingKinematicsWithHome extends HomingKinematics {
  /** Homes the requested axes through Homing.homeRails (which may return a Promise: await it). */
  home(state: Homing): MaybePromise<void>;
}

/** The "homing" printer object: G28 and homing for other modules (manual_stepper, probes). */
export class PrinterHoming {
  private readonly host: HomingHost;
  constructor(private readonly printer: Printer) {
    this.host = printerHomingHost(printer);
    printer.gcode.register("G28", (g) => {
      const axes = [..."XYZ"].map((a, i) => (g.get(a, null) !== null ? i : -1)).filter((i) => i >= 0);
      return this.home(axes.length ? axes : [0, 1, 2]);
    });
  }

  /** Home the given axes (0=X, 1=Y, 2=Z) through the toolhead kinematics. */
  home(axes: number[]): MaybePromise<void> {
    return runMaybeAsync(this.homeSteps(axes));
  }

  private *homeSteps(axes: number[]): Generator<unknown, void, unknown> {
    const toolhead = this.printer.lookupObject("toolhead");
    const state = new Homing(this.host, toolhead);
    state.setAxes(axes);
    try {
      yield (toolhead.getKinematics() as HomingKinematicsWithHome).home(state);
    } catch (e) {
      if (!(e instanceof GCodeError)) throw e;
      if (this.printer.isShutdown()) throw new GCodeError("Homing failed due to printer shutdown");
      yield this.printer.lookupObject("stepper_enable", null)?.motorOff();
      throw e;
    }
  }

  /** G28 while homing Z with the probe, first attempt (the probe need not have moved). */
  checkProbeFirstHome(g: { getCommand(): string; get(name: string, def: string | null): string | null }): boolean {
    return g.getCommand() === "G28" && g.get("HOME_ATTEMPT_NUM", null) === "1";
  }

  /** Move until the probe triggers; the toolhead position at the trigger. */
  probingMove(endstop: McuEndstop, pos: readonly number[], speed: number, checkMovement = true): MaybePromise<number[]> {
    return runMaybeAsync(this.probingMoveSteps(endstop, pos, speed, checkMovement));
  }

  private *probingMoveSteps(endstop: McuEndstop, pos: readonly number[], speed: number, checkMovement: boolean): Generator<unknown, number[], unknown> {
    const toolhead = this.printer.lookupObject("toolhead");
    const hmove = new HomingMove(this.host, [[endstop, "probe"]], toolhead);
    let epos: number[];
    try {
      epos = (yield hmove.homingMove(pos, speed, true)) as number[];
    } catch (e) {
      if (e instanceof GCodeError && this.printer.isShutdown()) throw new GCodeError("Probing failed due to printer shutdown");
      throw e;
    }
    if (checkMovement && hmove.checkNoMovement() !== null) throw new GCodeError("Probe triggered prior to movement");
    return epos;
  }

  manualHome(toolhead: HomingToolhead, endstops: NamedEndstop[], pos: readonly number[], speed: number,
    probePos: boolean, triggered: boolean, checkTriggered: boolean): MaybePromise<number[]> {
    const printer = this.printer;
    const host = this.host;
    return runMaybeAsync(
      (function* () {
        try {
          return (yield manualHome(host, toolhead, endstops, pos, speed, probePos, triggered, checkTriggered)) as number[];
        } catch (e) {
          if (e instanceof GCodeError && printer.isShutdown()) throw new GCodeError("Homing failed due to printer shutdown");
          throw e;
        }
      })(),
    );
  }
}

registerModule("homing", (_config, printer) => new PrinterHoming(printer), { stage: "toolhead", always: true });
