// One stepper motor driver on an MCU (Klipper's stepper.py MCU_stepper / PrinterStepper):
// step distance from rotation_distance, microsteps, full_steps_per_rotation and
// gear_ratio; the MCU config (config_stepper, reset_step_clock); commanded position
// (kinematic, in mm or rad) versus MCU position (in steps); and the glue between its
// stepper kinematics, the trapq and its step compressor.
//
// API (stable):
//   parseStepDistance(config, unitsInRadians | null, noteValid) -> [rotationDist, stepsPerRotation]
//   new McuStepper(opts: McuStepperOptions)
//   printerStepper(config, services, unitsInRadians?)  builds one from a [stepper_*] section
//   stepper.setStepperKinematics(sk) / setTrapq(tq) / setPosition([x,y,z])
//   stepper.getCommandedPosition() / getMcuPosition() / getPastMcuPosition(printTime)
//   stepper.mcuToCommandedPosition(mcuPos) / calcPositionFromCoord([x,y,z])
//   stepper.setRotationDistance(d) / setDirInverted(b) / noteHomingEnd()
//   stepper.addActiveCallback(cb)  cb(printTime) once the stepper first moves
//   stepper.getStepcompress() / getSyncEmitter() / getOid() / getMcu() / getName(short?)

import type { ConfigSection } from "../core/config/section.ts";
import { ConfigError } from "../core/config/errors.ts";
import type { StepperKinematics } from "./steps/itersolve.ts";
import type { StepCompress, HistorySteps } from "./steps/stepcompress.ts";
import type { SyncEmitter } from "./steps/steppersync.ts";
import type { TrapQ } from "./steps/trapq.ts";

const MIN_BOTH_EDGE_DURATION = 0.000000500;
const MIN_OPTIMIZED_BOTH_EDGE_DURATION = 0.000000150;
export const MAX_STEPCOMPRESS_ERROR = 0.000025;
const DEFAULT_STEP_PULSE_DURATION = .000002;

/** The parts of an Mcu (src/mcu) a stepper uses. */
export interface StepperMcu {
  readonly name: string;
  createOid(): number;
  registerConfigCallback(cb: () => void): void;
  addConfigCmd(line: string, opts?: { isInit?: boolean; onRestart?: boolean }): void;
  secondsToClock(s: number): number;
  printTimeToClock(printTime: number): number;
  /** Throws when the MCU has no such constant. */
  getConstant(name: string): number | string;
  isBatch(): boolean;
  /** Live MCUs: command/response query and host time to print time (src/mcu Mcu has both). */
  query?(line: string, response: string, opts?: { oid?: number | null }): Promise<{ params: Record<string, unknown>; receiveTime: number }>;
  estimatedPrintTime?(hostTime: number): number;
}

/** A resolved step or dir pin. */
export interface StepperPin { mcu: StepperMcu; pin: string; invert: boolean; }

/** Flush callbacks of motion queuing (Klipper's motion_queuing). */
export interface FlushCallbacks {
  registerFlushCallback(cb: (flushTime: number, stepGenTime: number) => void, canAddTrapq?: boolean): void;
  unregisterFlushCallback(cb: (flushTime: number, stepGenTime: number) => void): void;
}

/** What building a stepper from config needs from the rest of the printer. */
export interface StepperServices extends FlushCallbacks {
  /** Resolve a pin description ("!PA1", "z:PB2") that may be inverted. */
  lookupPin(desc: string): StepperPin;
  allocateSyncEmitter(mcu: StepperMcu, name: string): SyncEmitter;
  /** stepper_enable / force_move / motion_report registration (called last, as Klipper does). */
  registerStepper?(config: ConfigSection, stepper: McuStepper): void;
  /** Live MCUs: ask the MCU for its step position (stepper_get_position). */
  queryStepperPosition?(stepper: McuStepper): Promise<{ pos: number; printTime: number }>;
  sendEvent?(name: string, ...args: unknown[]): void;
}

export interface McuStepperOptions {
  name: string;
  stepPin: StepperPin;
  dirPin: StepperPin;
  rotationDist: number;
  stepsPerRotation: number;
  stepPulseDuration?: number | null;
  unitsInRadians?: boolean;
  syncEmitter: SyncEmitter;
  flush: FlushCallbacks;
  queryPosition?: (stepper: McuStepper) => Promise<{ pos: number; printTime: number }>;
  sendEvent?: (name: string, ...args: unknown[]) => void;
}

export class StepperError extends Error {}

function parseGearRatio(config: ConfigSection, noteValid: boolean): number {
  const ratios = config.getLists<number>("gear_ratio", [], {
    seps: [":", ","], count: 2, noteValid,
    parser: (s) => {
      const v = Number(s);
      if (s === "" || !Number.isFinite(v)) throw new ConfigError(`Unable to parse option 'gear_ratio' in section '${config.getName()}'`);
      return v;
    },
  }) as number[][];
  let result = 1.;
  for (const [g1, g2] of ratios) result *= g1! / g2!;
  return result;
}

/** rotation_distance (or 2*pi for radians) and steps per rotation of a stepper section. */
export function parseStepDistance(config: ConfigSection, unitsInRadians: boolean | null = null, noteValid = false): [number, number] {
  if (unitsInRadians === null) {
    const rd = config.get("rotation_distance", null, { noteValid: false });
    const gr = config.get("gear_ratio", null, { noteValid: false });
    unitsInRadians = rd === null && gr !== null;
  }
  let rotationDist: number;
  if (unitsInRadians) {
    rotationDist = 2. * Math.PI;
    config.get("gear_ratio", undefined, { noteValid });
  } else {
    rotationDist = config.getFloat("rotation_distance", undefined, { above: 0., noteValid });
  }
  const microsteps = config.getInt("microsteps", undefined, { minval: 1, noteValid });
  const fullSteps = config.getInt("full_steps_per_rotation", 200, { minval: 1, noteValid });
  if (fullSteps % 4)
    throw new ConfigError(`full_steps_per_rotation invalid in section '${config.getName()}'`);
  const gearing = parseGearRatio(config, noteValid);
  return [rotationDist, fullSteps * microsteps * gearing];
}

function constantInt(mcu: StepperMcu, name: string): number {
  try {
    return Math.trunc(Number(mcu.getConstant(name))) || 0;
  } catch {
    return 0;
  }
}

export class McuStepper {
  private readonly name: string;
  private rotationDist: number;
  private readonly stepsPerRotation: number;
  private stepPulseDuration: number | null;
  private readonly radians: boolean;
  private stepDist: number;
  private readonly mcu: StepperMcu;
  private readonly oid: number;
  private readonly stepPin: string;
  private readonly invertStep: boolean;
  private readonly dirPin: string;
  private invertDir: boolean;
  private readonly origInvertDir: boolean;
  private stepBothEdge = false;
  private reqStepBothEdge = false;
  private mcuPositionOffset = 0.;
  private readonly activeCallbacks: ((printTime: number) => void)[] = [];
  private readonly se: SyncEmitter;
  private readonly sc: StepCompress;
  private sk: StepperKinematics | null = null;
  private trapq: TrapQ | null = null;
  private readonly flush: FlushCallbacks;
  private readonly queryPosition: McuStepperOptions["queryPosition"];
  private readonly sendEvent: McuStepperOptions["sendEvent"];
  private readonly checkActiveCb = (_flushTime: number, stepGenTime: number) => this.checkActive(stepGenTime);

  constructor(o: McuStepperOptions) {
    this.name = o.name;
    this.rotationDist = o.rotationDist;
    this.stepsPerRotation = o.stepsPerRotation;
    this.stepPulseDuration = o.stepPulseDuration ?? null;
    this.radians = o.unitsInRadians ?? false;
    this.stepDist = o.rotationDist / o.stepsPerRotation;
    this.mcu = o.stepPin.mcu;
    this.oid = this.mcu.createOid();
    this.mcu.registerConfigCallback(() => this.buildConfig());
    this.stepPin = o.stepPin.pin;
    this.invertStep = o.stepPin.invert;
    if (o.dirPin.mcu !== this.mcu) throw new ConfigError("Stepper dir pin must be on same mcu as step pin");
    this.dirPin = o.dirPin.pin;
    this.invertDir = this.origInvertDir = o.dirPin.invert;
    this.se = o.syncEmitter;
    if (!this.se.stepcompress) throw new StepperError(`stepper '${o.name}' needs a sync emitter with step compression`);
    this.sc = this.se.stepcompress;
    this.sc.setInvertSdir(this.invertDir);
    this.flush = o.flush;
    this.queryPosition = o.queryPosition;
    this.sendEvent = o.sendEvent;
  }

  getMcu(): StepperMcu { return this.mcu; }
  getName(short = false): string {
    if (short && this.name.startsWith("stepper")) return this.name.slice(8);
    return this.name;
  }
  unitsInRadians(): boolean { return this.radians; }
  getPulseDuration(): [number | null, boolean] { return [this.stepPulseDuration, this.stepBothEdge]; }
  setupDefaultPulseDuration(pulseDuration: number, stepBothEdge: boolean): void {
    if (this.stepPulseDuration === null) this.stepPulseDuration = pulseDuration;
    this.reqStepBothEdge = stepBothEdge;
  }

  private buildConfig(): void {
    if (this.stepPulseDuration === null) this.stepPulseDuration = DEFAULT_STEP_PULSE_DURATION;
    let invertStep = this.invertStep ? 1 : 0;
    const ssbe = constantInt(this.mcu, "STEPPER_STEP_BOTH_EDGE");
    const sbe = constantInt(this.mcu, "STEPPER_BOTH_EDGE");
    const sou = constantInt(this.mcu, "STEPPER_OPTIMIZED_UNSTEP");
    let wantBothEdges = this.reqStepBothEdge;
    if (this.stepPulseDuration > MIN_BOTH_EDGE_DURATION) wantBothEdges = false; // rise/fall may be asymmetric
    else if (sbe && this.stepPulseDuration > MIN_OPTIMIZED_BOTH_EDGE_DURATION) wantBothEdges = false;
    else if (!sbe && !ssbe) wantBothEdges = false;
    else if (sou) wantBothEdges = false;
    if (wantBothEdges) {
      this.stepBothEdge = true;
      invertStep = -1;
      if (sbe) this.stepPulseDuration = 0.; // older MCUs enable it with step_pulse_ticks=0
    }
    const stepPulseTicks = this.mcu.secondsToClock(this.stepPulseDuration);
    this.mcu.addConfigCmd(`config_stepper oid=${this.oid} step_pin=${this.stepPin} dir_pin=${this.dirPin}`
      + ` invert_step=${invertStep} step_pulse_ticks=${stepPulseTicks}`);
    this.mcu.addConfigCmd(`reset_step_clock oid=${this.oid} clock=0`, { onRestart: true });
    this.sc.configure(this.oid, this.mcu.secondsToClock(MAX_STEPCOMPRESS_ERROR));
  }

  getOid(): number { return this.oid; }
  getStepDist(): number { return this.stepDist; }
  getRotationDistance(): [number, number] { return [this.rotationDist, this.stepsPerRotation]; }
  getStepcompress(): StepCompress { return this.sc; }
  getSyncEmitter(): SyncEmitter { return this.se; }

  setRotationDistance(rotationDist: number): void {
    const mcuPos = this.getMcuPosition();
    this.rotationDist = rotationDist;
    this.stepDist = rotationDist / this.stepsPerRotation;
    this.setTrapq(this.trapq);
    this.setMcuPosition(mcuPos);
  }

  getDirInverted(): [boolean, boolean] { return [this.invertDir, this.origInvertDir]; }
  setDirInverted(invertDir: boolean): void {
    if (invertDir === this.invertDir) return;
    this.invertDir = invertDir;
    this.sc.setInvertSdir(invertDir);
    this.sendEvent?.("stepper:set_dir_inverted", this);
  }

  private requireSk(): StepperKinematics {
    if (!this.sk) throw new StepperError(`stepper '${this.name}' has no kinematics`);
    return this.sk;
  }

  calcPositionFromCoord(coord: readonly number[]): number {
    return this.requireSk().calcPositionFromCoord(coord[0]!, coord[1]!, coord[2]!);
  }

  setPosition(coord: readonly number[]): void {
    const mcuPos = this.getMcuPosition();
    this.requireSk().setPosition(coord[0]!, coord[1]!, coord[2]!);
    this.setMcuPosition(mcuPos);
  }

  getCommandedPosition(): number { return this.requireSk().commandedPos; }

  /** Position in steps, rounded half away from zero. */
  getMcuPosition(cmdPos?: number): number {
    const pos = cmdPos ?? this.getCommandedPosition();
    const mcuPos = (pos + this.mcuPositionOffset) / this.stepDist;
    return mcuPos >= 0. ? Math.trunc(mcuPos + 0.5) : Math.trunc(mcuPos - 0.5);
  }

  private setMcuPosition(mcuPos: number): void {
    this.mcuPositionOffset = mcuPos * this.stepDist - this.getCommandedPosition();
  }

  getPastMcuPosition(printTime: number): number {
    return Math.trunc(this.sc.findPastPosition(this.mcu.printTimeToClock(printTime)));
  }

  mcuToCommandedPosition(mcuPos: number): number {
    return mcuPos * this.stepDist - this.mcuPositionOffset;
  }

  dumpSteps(count: number, startClock: number, endClock: number): HistorySteps[] {
    return this.sc.extractOld(count, startClock, endClock);
  }

  getStepperKinematics(): StepperKinematics | null { return this.sk; }

  /** Replace the stepper kinematics, keeping the MCU position; returns the old one. */
  setStepperKinematics(sk: StepperKinematics): StepperKinematics | null {
    const old = this.sk;
    const mcuPos = old ? this.getMcuPosition() : 0;
    this.sk = sk;
    this.se.setStepperKinematics(sk);
    this.setTrapq(this.trapq);
    this.setMcuPosition(mcuPos);
    return old;
  }

  /** After homing: restart the step clock at 0 and resync the position. */
  async noteHomingEnd(): Promise<void> {
    this.sc.reset(0);
    this.se.queueMessage(0, "reset_step_clock", { oid: this.oid, clock: 0 });
    await this.queryMcuPosition();
  }

  /** Live MCUs: take the MCU's step count (stepper_get_position) as the current position. */
  async queryMcuPosition(): Promise<void> {
    if (this.mcu.isBatch()) return;
    const res = this.queryPosition ? await this.queryPosition(this) : await this.queryFromMcu();
    if (!res) return;
    const lastPos = this.invertDir ? -res.pos : res.pos;
    this.sc.setLastPosition(this.mcu.printTimeToClock(res.printTime), lastPos);
    this.setMcuPosition(lastPos);
    this.sendEvent?.("stepper:sync_mcu_position", this);
  }

  private async queryFromMcu(): Promise<{ pos: number; printTime: number } | null> {
    const mcu = this.mcu;
    if (!mcu.query || !mcu.estimatedPrintTime) return null;
    const msg = await mcu.query(`stepper_get_position oid=${this.oid}`, "stepper_position", { oid: this.oid });
    const pos = Number(msg.params.pos);
    if (!Number.isInteger(pos)) throw new StepperError(`stepper '${this.name}': bad stepper_position reply`);
    return { pos, printTime: mcu.estimatedPrintTime(msg.receiveTime) };
  }

  getTrapq(): TrapQ | null { return this.trapq; }
  setTrapq(tq: TrapQ | null): TrapQ | null {
    this.requireSk().setTrapQ(tq, this.stepDist);
    const old = this.trapq;
    this.trapq = tq;
    return old;
  }

  addActiveCallback(cb: (printTime: number) => void): void {
    this.activeCallbacks.push(cb);
    if (this.activeCallbacks.length === 1) this.flush.registerFlushCallback(this.checkActiveCb);
  }

  private checkActive(maxStepGenTime: number): void {
    const t = this.requireSk().checkActive(maxStepGenTime);
    if (!t) return;
    this.flush.unregisterFlushCallback(this.checkActiveCb);
    const cbs = this.activeCallbacks.splice(0);
    for (const cb of cbs) cb(t);
  }

  isActiveAxis(axis: string): boolean { return this.requireSk().isActiveAxis(axis); }
}

/** Build a stepper from a [stepper_*] / [extruder] style section. */
export function printerStepper(config: ConfigSection, services: StepperServices, unitsInRadians = false): McuStepper {
  const stepPin = services.lookupPin(config.get("step_pin"));
  const dirPin = services.lookupPin(config.get("dir_pin"));
  const [rotationDist, stepsPerRotation] = parseStepDistance(config, unitsInRadians, true);
  const stepPulseDuration = config.getFloat("step_pulse_duration", null, { minval: 0., maxval: .001 });
  const stepper = new McuStepper({
    name: config.getName(), stepPin, dirPin, rotationDist, stepsPerRotation, stepPulseDuration,
    unitsInRadians,
    syncEmitter: services.allocateSyncEmitter(stepPin.mcu, config.getName()),
    flush: services,
    queryPosition: services.queryStepperPosition,
    sendEvent: services.sendEvent,
  });
  services.registerStepper?.(config, stepper);
  return stepper;
}
