// G-code coordinate handling for moves (Klipper's gcode_move): G0/G1, absolute
// and relative modes (G90/G91, M82/M83), G92 and SET_GCODE_OFFSET offsets, the
// M220/M221 speed and extrusion factors, saved states, and the position
// reports (M114, GET_POSITION). Moves go to the toolhead, or through a move
// transform (bed mesh, ...) when one is installed.
import { ConfigError } from "../core/config/errors.ts";
import { parsePyFloat } from "../core/config/pyformat.ts";
import { type Printer, registerModule } from "../core/printer.ts";

declare module "../core/printer.ts" {
  interface PrinterObjects {
    gcode_move: GCodeMove;
  }
}

/** Parameters and replies of one g-code command, as gcode_move needs them. */
export interface MoveCommand {
  /** Raw upper-case parameter letters/names to their (string) values. */
  getCommandParameters(): Record<string, string>;
  getCommandline(): string;
  getFloat(name: string, def: number | null, bounds?: { minval?: number; maxval?: number; above?: number; below?: number }): number | null;
  getInt(name: string, def: number | null, bounds?: { minval?: number; maxval?: number }): number | null;
  get(name: string, def: string | null): string | null;
  respondInfo(msg: string, log?: boolean): void;
  respondRaw(msg: string): void;
  /** A command error (Klipper's gcmd.error) to throw. */
  error(msg: string): Error;
}

/** Something that accepts moves in toolhead coordinates (toolhead or a transform). */
export interface MoveTarget {
  /** Live mode may return a Promise (wait before the next command). */
  move(newpos: readonly number[], speed: number): void | Promise<void>;
  getPosition(): number[];
}

/** Stepper facts GET_POSITION prints. */
export interface PositionedStepper {
  getName(): string;
  getMcuPosition(): number;
  getCommandedPosition(): number;
}

/** Toolhead facts gcode_move needs beyond MoveTarget. */
export interface GcodeMoveToolhead extends MoveTarget {
  getExtraAxes(): ({ getAxisGcodeId(): string | null } | null)[];
  getKinematics(): {
    getSteppers(): PositionedStepper[];
    calcPosition(stepperPositions: Record<string, number>): (number | null)[];
  };
}

interface SavedState {
  absoluteCoord: boolean;
  absoluteExtrude: boolean;
  basePosition: number[];
  lastPosition: number[];
  homingPosition: number[];
  speed: number;
  speedFactor: number;
  extrudeFactor: number;
}

const fmt6 = (v: number) => v.toFixed(6);

export class GCodeMove {
  absoluteCoord = true;
  absoluteExtrude = true;
  basePosition = [0, 0, 0, 0];
  lastPosition = [0, 0, 0, 0];
  homingPosition = [0, 0, 0, 0];
  axisMap: Record<string, number> = { X: 0, Y: 1, Z: 2, E: 3 };
  speed = 25;
  speedFactor = 1 / 60;
  extrudeFactor = 1;
  private readonly savedStates = new Map<string, SavedState>();
  private moveTransform: MoveTarget | null = null;
  private isReady = false;
  private toolhead: GcodeMoveToolhead | null = null;

  /** Printer became ready: moves may flow to the toolhead from now on. */
  handleReady(toolhead: GcodeMoveToolhead): void {
    this.toolhead = toolhead;
    this.isReady = true;
    this.resetLastPosition();
  }
  handleShutdown(): void {
    this.isReady = false;
  }

  private get target(): MoveTarget {
    const t = this.moveTransform ?? this.toolhead;
    if (!t) throw new Error("gcode_move: printer not ready");
    return t;
  }

  /**
   * Route moves through `transform` (e.g. bed_mesh); returns the previous target
   * (null while the config is loading: the toolhead is looked up when needed).
   */
  setMoveTransform(transform: MoveTarget, force = false): MoveTarget | null {
    if (this.moveTransform && !force) throw new ConfigError("G-Code move transform already specified");
    const old = this.moveTransform ?? this.toolhead;
    this.moveTransform = transform;
    return old;
  }

  /** The toolhead as a move target (once the printer is ready). */
  toolheadTarget(): MoveTarget {
    if (!this.toolhead) throw new Error("gcode_move: printer not ready");
    return this.toolhead;
  }

  /** Re-read the position after anything moved the toolhead behind our back. */
  resetLastPosition(): void {
    if (this.isReady) this.lastPosition = this.target.getPosition();
  }

  handleActivateExtruder(): void {
    this.resetLastPosition();
    this.extrudeFactor = 1;
    this.basePosition[3] = this.lastPosition[3]!;
  }

  handleHomeRailsEnd(homedAxes: readonly number[]): void {
    this.resetLastPosition();
    for (const axis of homedAxes) this.basePosition[axis] = this.homingPosition[axis]!;
  }

  /** The toolhead gained or lost an extra axis (manual stepper as g-code axis). */
  updateExtraAxes(): void {
    const axisMap: Record<string, number> = { X: 0, Y: 1, Z: 2, E: 3 };
    const extra = this.toolhead!.getExtraAxes();
    extra.forEach((ea, index) => {
      if (!ea) return;
      const id = ea.getAxisGcodeId();
      if (id === null || id.length !== 1 || id !== id.toUpperCase() || !/[A-Z]/.test(id)) return;
      if (id in axisMap || "FN".includes(id)) return;
      axisMap[id] = index;
    });
    this.axisMap = axisMap;
    this.basePosition = [...this.basePosition.slice(0, 4), ...new Array<number>(Math.max(0, extra.length - 4)).fill(0)];
    this.resetLastPosition();
  }

  getGcodePosition(): number[] {
    const p = this.lastPosition.map((lp, i) => lp - (this.basePosition[i] ?? 0));
    p[3] = p[3]! / this.extrudeFactor;
    return p;
  }

  getStatus(): Record<string, unknown> {
    return {
      speed_factor: this.speedFactor * 60,
      speed: this.speed / this.speedFactor,
      extrude_factor: this.extrudeFactor,
      absolute_coordinates: this.absoluteCoord,
      absolute_extrude: this.absoluteExtrude,
      homing_origin: this.homingPosition.slice(),
      position: this.lastPosition.slice(),
      gcode_position: this.getGcodePosition(),
      axis_map: { ...this.axisMap },
    };
  }

  // ---- movement ----
  cmdG1(gcmd: MoveCommand): void | Promise<void> {
    const params = gcmd.getCommandParameters();
    const axisMap = this.axisMap;
    for (const axis in axisMap) { // (no entries() array per move)
      const raw = params[axis];
      if (raw === undefined) continue;
      const pos = axisMap[axis]!;
      let v = parsePyFloat(raw);
      if (v === null) throw gcmd.error(`Unable to parse move '${gcmd.getCommandline()}'`);
      let absolute = this.absoluteCoord;
      if (axis === "E") {
        v *= this.extrudeFactor;
        if (!this.absoluteExtrude) absolute = false;
      }
      if (!absolute) this.lastPosition[pos] = this.lastPosition[pos]! + v;
      else this.lastPosition[pos] = v + this.basePosition[pos]!;
    }
    const f = params["F"];
    if (f !== undefined) {
      const gcodeSpeed = parsePyFloat(f);
      if (gcodeSpeed === null) throw gcmd.error(`Unable to parse move '${gcmd.getCommandline()}'`);
      if (gcodeSpeed <= 0) throw gcmd.error(`Invalid speed in '${gcmd.getCommandline()}'`);
      this.speed = gcodeSpeed * this.speedFactor;
    }
    return this.target.move(this.lastPosition, this.speed);
  }

  cmdG20(gcmd: MoveCommand): void {
    throw gcmd.error("Machine does not support G20 (inches) command");
  }

  cmdG92(gcmd: MoveCommand): void {
    const offsets = ["X", "Y", "Z", "E"].map((a) => gcmd.getFloat(a, null));
    offsets.forEach((offset, i) => {
      if (offset === null) return;
      if (i === 3) offset *= this.extrudeFactor;
      this.basePosition[i] = this.lastPosition[i]! - offset;
    });
    if (offsets.every((o) => o === null)) {
      for (let i = 0; i < 4; i++) this.basePosition[i] = this.lastPosition[i]!;
    }
  }

  cmdM114(gcmd: MoveCommand): void {
    const p = this.getGcodePosition();
    gcmd.respondRaw(`X:${p[0]!.toFixed(3)} Y:${p[1]!.toFixed(3)} Z:${p[2]!.toFixed(3)} E:${p[3]!.toFixed(3)}`);
  }

  cmdM220(gcmd: MoveCommand): void {
    const value = gcmd.getFloat("S", 100, { above: 0 })! / (60 * 100);
    this.speed = (this.speed / this.speedFactor) * value;
    this.speedFactor = value;
  }

  cmdM221(gcmd: MoveCommand): void {
    const newFactor = gcmd.getFloat("S", 100, { above: 0 })! / 100;
    const lastE = this.lastPosition[3]!;
    const eValue = (lastE - this.basePosition[3]!) / this.extrudeFactor;
    this.basePosition[3] = lastE - eValue * newFactor;
    this.extrudeFactor = newFactor;
  }

  cmdSetGcodeOffset(gcmd: MoveCommand): void | Promise<void> {
    const moveDelta = [0, 0, 0, 0];
    ["X", "Y", "Z", "E"].forEach((axis, pos) => {
      let offset = gcmd.getFloat(axis, null);
      if (offset === null) {
        const adjust = gcmd.getFloat(`${axis}_ADJUST`, null);
        if (adjust === null) return;
        offset = adjust + this.homingPosition[pos]!;
      }
      const delta = offset - this.homingPosition[pos]!;
      moveDelta[pos] = delta;
      this.basePosition[pos] = this.basePosition[pos]! + delta;
      this.homingPosition[pos] = offset;
    });
    if (gcmd.getInt("MOVE", 0)) {
      const speed = gcmd.getFloat("MOVE_SPEED", this.speed, { above: 0 })!;
      moveDelta.forEach((d, pos) => (this.lastPosition[pos] = this.lastPosition[pos]! + d));
      return this.target.move(this.lastPosition, speed);
    }
  }

  cmdSaveGcodeState(gcmd: MoveCommand): void {
    const name = gcmd.get("NAME", "default")!;
    this.savedStates.set(name, {
      absoluteCoord: this.absoluteCoord,
      absoluteExtrude: this.absoluteExtrude,
      basePosition: this.basePosition.slice(),
      lastPosition: this.lastPosition.slice(),
      homingPosition: this.homingPosition.slice(),
      speed: this.speed,
      speedFactor: this.speedFactor,
      extrudeFactor: this.extrudeFactor,
    });
  }

  cmdRestoreGcodeState(gcmd: MoveCommand): void | Promise<void> {
    const name = gcmd.get("NAME", "default")!;
    const state = this.savedStates.get(name);
    if (!state) throw gcmd.error(`Unknown g-code state: ${name}`);
    this.absoluteCoord = state.absoluteCoord;
    this.absoluteExtrude = state.absoluteExtrude;
    for (let i = 0; i < 4; i++) this.basePosition[i] = state.basePosition[i]!;
    this.homingPosition = state.homingPosition.slice();
    this.speed = state.speed;
    this.speedFactor = state.speedFactor;
    this.extrudeFactor = state.extrudeFactor;
    // Keep the relative E position
    const eDiff = this.lastPosition[3]! - state.lastPosition[3]!;
    this.basePosition[3] = this.basePosition[3]! + eDiff;
    if (gcmd.getInt("MOVE", 0)) {
      const speed = gcmd.getFloat("MOVE_SPEED", this.speed, { above: 0 })!;
      for (let i = 0; i < 3; i++) this.lastPosition[i] = state.lastPosition[i]!;
      return this.target.move(this.lastPosition, speed);
    }
  }

  cmdGetPosition(gcmd: MoveCommand): void {
    const toolhead = this.toolhead;
    if (!toolhead) throw gcmd.error("Printer not ready");
    const kin = toolhead.getKinematics();
    const steppers = kin.getSteppers();
    const mcuPos = steppers.map((s) => `${s.getName()}:${s.getMcuPosition()}`).join(" ");
    const cinfo: Record<string, number> = {};
    for (const s of steppers) cinfo[s.getName()] = s.getCommandedPosition();
    const stepperPos = steppers.map((s) => `${s.getName()}:${fmt6(cinfo[s.getName()]!)}`).join(" ");
    const kinPos = kin
      .calcPosition(cinfo)
      .slice(0, 3)
      // (an axis the kinematics cannot resolve from its steppers reads "None")
      .map((v, i) => `${"XYZ"[i]}:${v === null ? "None" : fmt6(v)}`)
      .join(" ");
    const thPos = toolhead
      .getPosition()
      .slice(0, 4)
      .map((v, i) => `${"XYZE"[i]}:${fmt6(v)}`)
      .join(" ");
    const line = (vals: number[], axes: string) => vals.slice(0, axes.length).map((v, i) => `${axes[i]}:${fmt6(v)}`).join(" ");
    gcmd.respondInfo(
      `mcu: ${mcuPos}\nstepper: ${stepperPos}\nkinematic: ${kinPos}\ntoolhead: ${thPos}\n` +
        `gcode: ${line(this.lastPosition, "XYZE")}\ngcode base: ${line(this.basePosition, "XYZE")}\n` +
        `gcode homing: ${line(this.homingPosition, "XYZ")}`,
    );
  }

  /** Command table: name, handler, whether it works before the printer is ready, help. */
  commands(): [string, (gcmd: MoveCommand) => void | Promise<void>, boolean, string?][] {
    return [
      ["G1", (g) => this.cmdG1(g), false],
      ["G0", (g) => this.cmdG1(g), false],
      ["G20", (g) => this.cmdG20(g), false],
      ["G21", () => {}, false],
      ["M82", () => (this.absoluteExtrude = true), false],
      ["M83", () => (this.absoluteExtrude = false), false],
      ["G90", () => (this.absoluteCoord = true), false],
      ["G91", () => (this.absoluteCoord = false), false],
      ["G92", (g) => this.cmdG92(g), false],
      ["M220", (g) => this.cmdM220(g), false],
      ["M221", (g) => this.cmdM221(g), false],
      ["SET_GCODE_OFFSET", (g) => this.cmdSetGcodeOffset(g), false, "Set a virtual offset to g-code positions"],
      ["SAVE_GCODE_STATE", (g) => this.cmdSaveGcodeState(g), false, "Save G-Code coordinate state"],
      ["RESTORE_GCODE_STATE", (g) => this.cmdRestoreGcodeState(g), false, "Restore a previously saved G-Code state"],
      ["M114", (g) => this.cmdM114(g), true],
      ["GET_POSITION", (g) => this.cmdGetPosition(g), true, "Return information on the current location of the toolhead"],
    ];
  }
}

registerModule(
  "gcode_move",
  (_config, printer: Printer) => {
    const gm = new GCodeMove();
    for (const [name, handler, whenNotReady, desc] of gm.commands())
      printer.gcode.register(name, (g) => handler(g), { whenNotReady, desc });
    printer.registerEventHandler("klippy:ready", () => gm.handleReady(printer.lookupObject("toolhead")));
    printer.registerEventHandler("klippy:shutdown", () => gm.handleShutdown());
    printer.registerEventHandler("toolhead:set_position", () => gm.resetLastPosition());
    printer.registerEventHandler("toolhead:manual_move", () => gm.resetLastPosition());
    printer.registerEventHandler("toolhead:update_extra_axes", () => gm.updateExtraAxes());
    printer.registerEventHandler("gcode:command_error", () => gm.resetLastPosition());
    printer.registerEventHandler("extruder:activate_extruder", () => gm.handleActivateExtruder());
    printer.registerEventHandler("homing:home_rails_end", (homingState: { getAxes(): number[] }) =>
      gm.handleHomeRailsEnd(homingState.getAxes()));
    return gm;
  },
  { stage: "toolhead", always: true },
);
