// Extruders (Klipper's kinematics/extruder.py): each [extruder] / [extruderN]
// section has its own motion queue fed from the toolhead's E axis, extrusion
// limits (max_extrude_cross_section, extrude-only speed/accel/distance), the
// corner speed it tolerates (instantaneous_corner_velocity), and optionally a
// stepper with pressure advance. [extruder_stepper] steppers follow any
// extruder's motion queue (SYNC_EXTRUDER_MOTION).
import { GCodeError } from "../core/gcode/errors.ts";
import type { Move } from "./lookahead.ts";
import type { TrapQ } from "./steps/trapq.ts";

/** Config values of an [extruder] section. */
export interface ExtruderOptions {
  name: string;
  nozzleDiameter: number;
  filamentDiameter: number;
  /** null = default (4 * nozzle_diameter^2). */
  maxExtrudeCrossSection: number | null;
  maxExtrudeOnlyVelocity: number | null;
  maxExtrudeOnlyAccel: number | null;
  maxExtrudeOnlyDistance: number;
  instantaneousCornerVelocity: number;
}

/** The stepper side: position queries and pressure advance (steps helper's McuStepper + kin). */
export interface ExtruderMotor {
  getName(): string;
  setTrapq(tq: TrapQ | null): void;
  getTrapq(): TrapQ | null;
  /** Set the stepper's position in E (mm). */
  setPosition(coord: readonly number[]): void;
  getPastMcuPosition(printTime: number): number;
  mcuToCommandedPosition(mcuPos: number): number;
  getRotationDistance(): [number, number];
  setRotationDistance(dist: number): void;
  getDirInverted(): [boolean, boolean];
  setDirInverted(invert: boolean): void;
}

/** The extruder's stepper kinematics (smoothed pressure advance). */
export interface PressureAdvanceKinematics {
  /** Pressure advance change for moves from print time t on (0 = all; needs a full flush first). */
  setPressureAdvance(printTime: number, pressureAdvance: number, smoothTime: number): void;
}

/** Toolhead services the extruder uses. */
export interface ExtruderToolhead {
  flushStepGeneration(): void;
  registerLookaheadCallback(cb: (printTime: number) => void): void;
}

export interface ExtruderHeater {
  readonly canExtrude: boolean;
  getStatus(): { temperature: number; target: number; power: number };
}

/** An extrusion limit was hit (reported as a g-code error). */
export class CommandError extends GCodeError {}

/** A stepper that turns filament: [extruder] (with step_pin) or [extruder_stepper NAME]. */
export class ExtruderStepper {
  pressureAdvance = 0;
  smoothTime = 0;
  motionQueue: string | null = null;

  constructor(
    readonly name: string,
    readonly motor: ExtruderMotor,
    private readonly sk: PressureAdvanceKinematics,
    private readonly configPa: number,
    private readonly configSmoothTime: number,
    private readonly toolhead: ExtruderToolhead,
    /** Recompute step generation windows (smooth time changed). */
    private readonly checkScanWindows: () => void,
  ) {}

  /** Apply the configured pressure advance once the printer connects. */
  handleConnect(): void {
    this.setPressureAdvance(this.configPa, this.configSmoothTime);
  }

  findPastPosition(printTime: number): number {
    return this.motor.mcuToCommandedPosition(this.motor.getPastMcuPosition(printTime));
  }

  /** Follow `extruder`'s motion queue (null = stop moving with any extruder). */
  syncToExtruder(extruder: PrinterExtruder | null): void {
    this.toolhead.flushStepGeneration();
    if (!extruder) {
      this.motor.setTrapq(null);
      this.motionQueue = null;
    } else {
      this.motor.setPosition([extruder.lastPosition, 0, 0]);
      this.motor.setTrapq(extruder.trapq);
      this.motionQueue = extruder.name;
    }
    this.checkScanWindows();
  }

  setPressureAdvance(pressureAdvance: number, smoothTime: number): void {
    const oldSmoothTime = this.pressureAdvance ? this.smoothTime : 0;
    const newSmoothTime = pressureAdvance ? smoothTime : 0;
    if (newSmoothTime !== oldSmoothTime) {
      // Changing the smoothing window needs every pending step generated first
      this.toolhead.flushStepGeneration();
      this.sk.setPressureAdvance(0, pressureAdvance, newSmoothTime);
      this.checkScanWindows();
    } else {
      this.toolhead.registerLookaheadCallback((pt) => this.sk.setPressureAdvance(pt, pressureAdvance, newSmoothTime));
    }
    this.pressureAdvance = pressureAdvance;
    this.smoothTime = smoothTime;
  }

  /** SET_EXTRUDER_ROTATION_DISTANCE; returns the (signed) distance now in effect. */
  setRotationDistance(dist: number | null): number {
    if (dist !== null) {
      if (!dist) throw new CommandError("Rotation distance can not be zero");
      const [, origInvert] = this.motor.getDirInverted();
      let nextInvert = origInvert;
      if (dist < 0) {
        nextInvert = !origInvert;
        dist = -dist;
      }
      this.toolhead.flushStepGeneration();
      this.motor.setRotationDistance(dist);
      this.motor.setDirInverted(nextInvert);
    }
    let [rd] = this.motor.getRotationDistance();
    const [inv, origInv] = this.motor.getDirInverted();
    if (inv !== origInv) rd = -rd;
    return rd;
  }

  getStatus(): Record<string, unknown> {
    return { pressure_advance: this.pressureAdvance, smooth_time: this.smoothTime, motion_queue: this.motionQueue };
  }
}

/** An [extruder] section: the E axis of the toolhead while it is the active one. */
export class PrinterExtruder {
  readonly name: string;
  lastPosition = 0;
  readonly nozzleDiameter: number;
  readonly filamentArea: number;
  readonly maxExtrudeRatio: number;
  readonly maxEVelocity: number;
  readonly maxEAccel: number;
  readonly maxEDist: number;
  readonly instantCornerV: number;
  extruderStepper: ExtruderStepper | null = null;

  constructor(
    opts: ExtruderOptions,
    toolheadLimits: { maxVelocity: number; maxAccel: number },
    readonly trapq: TrapQ,
    readonly heater: ExtruderHeater,
  ) {
    this.name = opts.name;
    this.nozzleDiameter = opts.nozzleDiameter;
    this.filamentArea = Math.PI * (opts.filamentDiameter * 0.5) ** 2;
    const defMaxCrossSection = 4 * this.nozzleDiameter ** 2;
    const defMaxExtrudeRatio = defMaxCrossSection / this.filamentArea;
    const maxCrossSection = opts.maxExtrudeCrossSection ?? defMaxCrossSection;
    this.maxExtrudeRatio = maxCrossSection / this.filamentArea;
    this.maxEVelocity = opts.maxExtrudeOnlyVelocity ?? toolheadLimits.maxVelocity * defMaxExtrudeRatio;
    this.maxEAccel = opts.maxExtrudeOnlyAccel ?? toolheadLimits.maxAccel * defMaxExtrudeRatio;
    this.maxEDist = opts.maxExtrudeOnlyDistance;
    this.instantCornerV = opts.instantaneousCornerVelocity;
  }

  getName(): string {
    return this.name;
  }
  getAxisGcodeId(): string {
    return "E";
  }
  getTrapq(): TrapQ {
    return this.trapq;
  }

  checkMove(move: Move, eaIndex: number): void {
    if (!this.heater.canExtrude)
      throw new CommandError("Extrude below minimum temp\nSee the 'min_extrude_temp' config option for details");
    const axisR = move.axesR[eaIndex]!;
    const axisD = move.axesD[eaIndex]!;
    if ((!move.axesD[0] && !move.axesD[1]) || axisR < 0) {
      // Extrude-only move (or retraction): extruder speed and accel limits apply
      if (Math.abs(axisD) > this.maxEDist)
        throw new CommandError(
          `Extrude only move too long (${axisD.toFixed(3)}mm vs ${this.maxEDist.toFixed(3)}mm)\n` +
            "See the 'max_extrude_only_distance' config option for details",
        );
      const invExtrudeR = 1 / Math.abs(axisR);
      move.limitSpeed(this.maxEVelocity * invExtrudeR, this.maxEAccel * invExtrudeR);
    } else if (axisR > this.maxExtrudeRatio) {
      // Tiny extrusions are allowed whatever their ratio
      if (axisD <= this.nozzleDiameter * this.maxExtrudeRatio) return;
      const area = axisR * this.filamentArea;
      throw new CommandError(
        `Move exceeds maximum extrusion (${area.toFixed(3)}mm^2 vs ${(this.maxExtrudeRatio * this.filamentArea).toFixed(3)}mm^2)\n` +
          "See the 'max_extrude_cross_section' config option for details",
      );
    }
  }

  calcJunction(prev: Move, move: Move, eaIndex: number): number {
    const diffR = move.axesR[eaIndex]! - prev.axesR[eaIndex]!;
    if (diffR) return (this.instantCornerV / Math.abs(diffR)) ** 2;
    return move.maxCruiseV2;
  }

  processMove(printTime: number, move: Move, eaIndex: number): void {
    const axisR = move.axesR[eaIndex]!;
    const accel = move.accel * axisR;
    const startV = move.startV * axisR;
    const cruiseV = move.cruiseV * axisR;
    // Pressure advance only while extruding during an X/Y move
    const canPressureAdvance = axisR > 0 && (move.axesD[0] || move.axesD[1]) ? 1 : 0;
    this.trapq.append(printTime, move.accelT, move.cruiseT, move.decelT, move.startPos[eaIndex]!, 0, 0, 1, canPressureAdvance, 0,
      startV, cruiseV, accel);
    this.lastPosition = move.endPos[eaIndex]!;
  }

  findPastPosition(printTime: number): number {
    return this.extruderStepper ? this.extruderStepper.findPastPosition(printTime) : 0;
  }

  /** Status_Reference `extruder`: the heater's fields, can_extrude, and its stepper's (when it has one). */
  getStatus(): Record<string, unknown> {
    return { ...this.heater.getStatus(), can_extrude: this.heater.canExtrude, ...(this.extruderStepper?.getStatus() ?? {}) };
  }
}
