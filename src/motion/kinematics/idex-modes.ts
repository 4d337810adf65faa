// Dual carriages (IDEX) and their modes (Klipper's kinematics/idex_modes.py): each carriage
// of a dual pair is PRIMARY (follows the toolhead), COPY (follows it at an offset), MIRROR
// (moves opposite) or INACTIVE (parked). Modes are applied through a per-stepper
// DualCarriageStepperKinematics transform. Commands: SET_DUAL_CARRIAGE,
// SAVE_DUAL_CARRIAGE_STATE, RESTORE_DUAL_CARRIAGE_STATE; printer object "dual_carriage".
//
// API: new DualCarriages(host, primaryRails, dualRails, axes, safeDist)
//   getAxes(), getPrimaryRail(axis), getDcRailWrapper(rail), getTransform(rail), isActive(rail),
//   home(homingState, axis), saveDualCarriageState(), restoreDualCarriageState(state, move, speed),
//   activateDcMode(dc, mode), getStatus()

import { type MaybePromise, runMaybeAsync } from "../../util/maybe-async.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { ConfigError } from "../../core/config/errors.ts";
import { DualCarriageStepperKinematics } from "../steps/stepper-kinematics/idex.ts";
import type { PrinterRail } from "../rail.ts";
import type { KinHomingState, KinematicsHost } from "./types.ts";

export const INACTIVE = "INACTIVE", PRIMARY = "PRIMARY", COPY = "COPY", MIRROR = "MIRROR";
export type DcMode = typeof INACTIVE | typeof PRIMARY | typeof COPY | typeof MIRROR;
const VALID_MODES: string[] = [INACTIVE, PRIMARY, COPY, MIRROR];

/** What dual carriages need from the kinematics that own them. */
export interface DcKinematics {
  updateLimits(axis: number, range: [number, number]): void;
  homeAxis(homingState: KinHomingState, axis: number, rail: PrinterRail<any>): MaybePromise<void>;
  getStatus(): Record<string, unknown>;
}

/** What dual carriages need from the toolhead. */
export interface DcToolhead {
  flushStepGeneration(): void;
  getPosition(): number[];
  setPosition(newpos: readonly number[], homingAxes?: string): void;
  manualMove(coord: readonly (number | null | undefined)[], speed: number): void;
  getKinematics(): DcKinematics;
}

export interface SavedDcState {
  carriageModes: Record<string, DcMode>;
  carriagePositions: Record<string, number>;
  toolheadPosition: number[];
}

export class DualCarriagesRail {
  mode: DcMode;
  offset = 0.;
  scale: number;
  private readonly sks: DualCarriageStepperKinematics[];

  constructor(private readonly host: KinematicsHost, readonly rail: PrinterRail<any>, readonly dualRail: PrinterRail<any> | null,
              readonly axis: number, readonly safeDist: number | null, active: boolean) {
    this.sks = rail.getSteppers().map((s) => s.getStepperKinematics() as DualCarriageStepperKinematics);
    this.mode = active ? PRIMARY : INACTIVE;
    this.scale = active ? 1. : 0.;
  }

  getName(): string { return this.rail.getName(); }
  isActive(): boolean { return this.mode !== INACTIVE; }
  getAxisPosition(position: readonly number[]): number { return position[this.axis]! * this.scale + this.offset; }

  applyTransform(): void {
    for (const sk of this.sks) sk.setTransform("xy"[this.axis]!, this.scale, this.offset);
    this.host.sendEvent("dual_carriage:update_kinematics");
  }

  activate(mode: DcMode, position: readonly number[], oldPosition?: readonly number[]): void {
    const oldAxisPosition = this.getAxisPosition(oldPosition ?? position);
    this.scale = mode === MIRROR ? -1. : 1.;
    this.offset = oldAxisPosition - position[this.axis]! * this.scale;
    this.applyTransform();
    this.mode = mode;
  }

  inactivate(position: readonly number[]): void {
    this.offset = this.getAxisPosition(position);
    this.scale = 0.;
    this.applyTransform();
    this.mode = INACTIVE;
  }

  overrideAxisScaling(newScale: number, position: readonly number[]): void {
    const oldAxisPosition = this.getAxisPosition(position);
    const negative = this.scale < 0 || Object.is(this.scale, -0); // copysign(newScale, scale)
    this.scale = negative ? -Math.abs(newScale) : Math.abs(newScale);
    this.offset = oldAxisPosition - position[this.axis]! * this.scale;
    this.applyTransform();
  }
}

export class DualCarriages {
  readonly primaryRails: DualCarriagesRail[] = [];
  readonly dualRails: (DualCarriagesRail | null)[];
  readonly dcRails = new Map<string, DualCarriagesRail>();
  private readonly savedStates = new Map<string, SavedDcState>();
  private readonly axes: number[];

  constructor(private readonly host: KinematicsHost, primaryRails: PrinterRail<any>[], dualRails: (PrinterRail<any> | null)[],
              axes: number[], safeDistIn: (number | null)[]) {
    this.initSteppers([...primaryRails, ...dualRails]);
    const safeDist = [...safeDistIn];
    dualRails.forEach((dc, i) => {
      if (dc === null || safeDist[i] !== null) return;
      const pc = primaryRails[i]!;
      safeDist[i] = Math.min(Math.abs(pc.positionMin - dc.positionMin), Math.abs(pc.positionMax - dc.positionMax));
    });
    const activated = [false, false, false];
    primaryRails.forEach((c, i) => {
      const activate = !activated[axes[i]!];
      activated[axes[i]!] = true;
      this.primaryRails.push(new DualCarriagesRail(host, c, dualRails[i] ?? null, axes[i]!, safeDist[i] ?? null, activate));
    });
    this.dualRails = dualRails.map((c, i) => c === null ? null
      : new DualCarriagesRail(host, c, primaryRails[i]!, axes[i]!, safeDist[i] ?? null, false));
    for (const c of [...this.primaryRails, ...this.dualRails]) if (c) this.dcRails.set(c.rail.getName(true), c);
    this.axes = [...new Set(axes)].sort((a, b) => a - b);
    host.addObject("dual_carriage", this);
    host.registerEventHandler("klippy:ready", () => { for (const dc of this.dcRails.values()) dc.applyTransform(); });
    host.gcode.register("SET_DUAL_CARRIAGE", (g: GCodeCommand) => this.cmdSetDualCarriage(g), { desc: "Configure the dual carriages mode" });
    host.gcode.register("SAVE_DUAL_CARRIAGE_STATE", (g: GCodeCommand) => {
      this.savedStates.set(g.get("NAME", "default"), this.saveDualCarriageState());
    }, { desc: "Save dual carriages modes and positions" });
    host.gcode.register("RESTORE_DUAL_CARRIAGE_STATE", (g: GCodeCommand) => {
      const name = g.get("NAME", "default");
      const saved = this.savedStates.get(name);
      if (!saved) throw g.error(`Unknown DUAL_CARRIAGE state: ${name}`);
      const moveSpeed = g.getFloat("MOVE_SPEED", 0., { above: 0. });
      const move = g.getInt("MOVE", 1);
      this.restoreDualCarriageState(saved, move, moveSpeed);
    }, { desc: "Restore dual carriages modes and positions" });
  }

  private initSteppers(rails: (PrinterRail<any> | null)[]): void {
    const steppers = new Set<ReturnType<PrinterRail<any>["getSteppers"]>[number]>();
    for (const rail of rails) {
      if (!rail) continue;
      const cs = rail.getSteppers();
      if (!cs.length) throw new ConfigError(`At least one stepper must be associated with carriage: ${rail.getName()}`);
      for (const s of cs) steppers.add(s);
    }
    for (const s of steppers) {
      const orig = s.getStepperKinematics();
      if (!orig) throw new ConfigError(`stepper '${s.getName()}' has no kinematics`);
      s.setStepperKinematics(new DualCarriageStepperKinematics(orig));
    }
  }

  private toolhead(): DcToolhead { return this.host.lookupObject("toolhead"); }

  getAxes(): number[] { return this.axes; }

  getPrimaryRail(axis: number): PrinterRail<any> | null {
    for (const dc of this.dcRails.values()) if (dc.mode === PRIMARY && dc.axis === axis) return dc.rail;
    return null;
  }

  getDcRailWrapper(rail: PrinterRail<any>): DualCarriagesRail | null {
    for (const dc of this.dcRails.values()) if (dc.rail === rail) return dc;
    return null;
  }

  getTransform(rail: PrinterRail<any>): [number, number] {
    const dc = this.getDcRailWrapper(rail);
    return dc ? [dc.scale, dc.offset] : [0., 0.];
  }

  isActive(rail: PrinterRail<any>): boolean { return this.getDcRailWrapper(rail)?.isActive() ?? false; }

  private toggleActiveDcRail(target: DualCarriagesRail): void {
    const toolhead = this.toolhead();
    toolhead.flushStepGeneration();
    const pos = toolhead.getPosition();
    const kin = toolhead.getKinematics();
    const axis = target.axis;
    for (const dc of this.dcRails.values())
      if (dc !== target && dc.axis === axis && dc.isActive()) dc.inactivate(pos);
    if (target.mode !== PRIMARY) {
      const newpos = [...pos];
      newpos[axis] = target.getAxisPosition(pos);
      target.activate(PRIMARY, newpos, pos);
      toolhead.setPosition(newpos);
    }
    kin.updateLimits(axis, target.rail.getRange());
  }

  home(homingState: KinHomingState, axis: number): MaybePromise<void> {
    return runMaybeAsync(this.homeCarriages(homingState, axis));
  }

  private *homeCarriages(homingState: KinHomingState, axis: number): Generator<unknown, void, unknown> {
    const kin = this.toolhead().getKinematics();
    const homingRails = this.primaryRails.filter((r) => r.axis === axis);
    for (const dcRail of homingRails) {
      const dcs = [...this.dcRails.values()].filter((dc) => dcRail.rail === dc.rail || dcRail.rail === dc.dualRail);
      // Carriages homing in the same direction: the one that homes onto the other goes second
      if (dcs.length > 1 && (this.getDcOrder(dcs[0]!, dcs[1]!) > 0) !== dcs[0]!.rail.getHomingInfo().positiveDir)
        dcs.reverse();
      for (const dc of dcs) {
        this.toggleActiveDcRail(dc);
        yield kin.homeAxis(homingState, dc.axis, dc.rail);
      }
    }
    this.activateDcMode(homingRails[0]!, PRIMARY);
  }

  getStatus(): Record<string, unknown> {
    const carriages: Record<string, string> = {};
    for (const dc of this.dcRails.values()) carriages[dc.getName()] = dc.mode;
    const status: Record<string, unknown> = { carriages };
    if (this.dcRails.size === 2) [...this.dcRails.values()].forEach((dc, i) => { status[`carriage_${i}`] = dc.mode; });
    return status;
  }

  /** Allowed range of the toolhead on `axis` given every carriage's mode and safe distance. */
  getKinRange(axis: number): [number, number] {
    const pos = this.toolhead().getPosition();
    const axisPos = pos[axis]!;
    let rangeMin = -1e10, rangeMax = 1e10;
    const all = [...this.dcRails.values()];
    for (const carriage of all) {
      if (carriage.axis !== axis) continue;
      const dcs = [carriage, ...all.filter((dc) => carriage.rail === dc.dualRail)];
      const axesPos = dcs.map((dc) => dc.getAxisPosition(pos));
      const d0 = dcs[0]!;
      if (!d0.isActive()) continue;
      if (d0.mode === PRIMARY) {
        rangeMin = Math.max(rangeMin, d0.rail.positionMin);
        rangeMax = Math.min(rangeMax, d0.rail.positionMax);
      } else if (d0.mode === COPY) {
        rangeMin = Math.max(rangeMin, axisPos + d0.rail.positionMin - axesPos[0]!);
        rangeMax = Math.min(rangeMax, axisPos + d0.rail.positionMax - axesPos[0]!);
      } else if (d0.mode === MIRROR) {
        rangeMin = Math.max(rangeMin, axisPos + axesPos[0]! - d0.rail.positionMax);
        rangeMax = Math.min(rangeMax, axisPos + axesPos[0]! - d0.rail.positionMin);
      }
      const safeDist = d0.safeDist;
      if (!safeDist || dcs.length === 1) continue;
      const d1 = dcs[1]!;
      const modes = new Set([d0.mode, d1.mode]);
      if (d0.mode === d1.mode || (modes.size === 2 && modes.has(PRIMARY) && modes.has(COPY)))
        continue; // moving in the same direction: cannot collide
      const dcsDist = axesPos[1]! - axesPos[0]!;
      const order = this.getDcOrder(d0, d1);
      let safeMoveDist = order > 0 ? dcsDist + safeDist : dcsDist - safeDist;
      if (d1.isActive()) safeMoveDist *= 0.5;
      if (d0.mode === PRIMARY || d0.mode === COPY) {
        if (order > 0) rangeMin = Math.max(rangeMin, axisPos + safeMoveDist);
        else rangeMax = Math.min(rangeMax, axisPos + safeMoveDist);
      } else {
        if (order > 0) rangeMax = Math.min(rangeMax, axisPos - safeMoveDist);
        else rangeMin = Math.max(rangeMin, axisPos - safeMoveDist);
      }
    }
    // An empty range (possible after multi-MCU homing) blocks motion until the mode changes
    if (rangeMin > rangeMax) return [rangeMin, rangeMin];
    return [rangeMin, rangeMax];
  }

  /** -1 if the first carriage is always below the second, 1 otherwise (0: same carriage). */
  getDcOrder(first: DualCarriagesRail, second: DualCarriagesRail): number {
    if (first === second) return 0;
    const fh = first.rail.getHomingInfo(), sh = second.rail.getHomingInfo();
    if (fh.positiveDir !== sh.positiveDir) return fh.positiveDir ? 1 : -1;
    return first.rail.positionEndstop > second.rail.positionEndstop ? 1 : -1;
  }

  activateDcMode(dc: DualCarriagesRail, mode: DcMode): void {
    const toolhead = this.toolhead();
    toolhead.flushStepGeneration();
    const kin = toolhead.getKinematics();
    if (mode === INACTIVE) dc.inactivate(toolhead.getPosition());
    else if (mode === PRIMARY) this.toggleActiveDcRail(dc);
    else dc.activate(mode, toolhead.getPosition());
    kin.updateLimits(dc.axis, this.getKinRange(dc.axis));
  }

  private cmdSetDualCarriage(g: GCodeCommand): void {
    const carriageStr = g.get("CARRIAGE", null);
    if (carriageStr === null) throw g.error("CARRIAGE must be specified");
    let dcRail = this.dcRails.get(carriageStr) ?? null;
    if (!dcRail && this.dcRails.size === 2 && /^\s*[+-]?\d+\s*$/.test(carriageStr)) {
      const index = parseInt(carriageStr, 10);
      if (index < 0 || index > 1) throw g.error(`Invalid CARRIAGE=${index} index`);
      dcRail = index ? this.dualRails[0]! : this.primaryRails[0]!;
    }
    if (!dcRail) throw g.error(`Invalid CARRIAGE=${carriageStr} specified`);
    const mode = g.get("MODE", PRIMARY).toUpperCase();
    if (!VALID_MODES.includes(mode)) throw g.error(`Invalid mode=${mode} specified`);
    if (mode === COPY || mode === MIRROR) {
      const primary = this.getPrimaryRail(dcRail.axis);
      if (primary === null || primary === dcRail.rail) throw g.error("Must activate another carriage as PRIMARY first");
      const axis = "xyz"[dcRail.axis]!;
      const homed = String(this.toolhead().getKinematics().getStatus().homed_axes ?? "");
      if (!homed.includes(axis)) throw g.error(`Axis ${axis.toUpperCase()} must be homed prior to enabling mode=${mode}`);
    }
    if (mode === INACTIVE) {
      const active = [...this.dcRails.values()].filter((dc) => dc.isActive() && dc.axis === dcRail!.axis);
      if (active.length === 1 && active[0] === dcRail)
        throw g.error(`Cannot deactivate the only active carriage for axis ${"XYZ"[dcRail.axis]}`);
    }
    this.activateDcMode(dcRail, mode as DcMode);
  }

  saveDualCarriageState(): SavedDcState {
    const pos = this.toolhead().getPosition();
    const carriageModes: Record<string, DcMode> = {}, carriagePositions: Record<string, number> = {};
    for (const dc of this.dcRails.values()) {
      carriageModes[dc.getName()] = dc.mode;
      carriagePositions[dc.getName()] = dc.getAxisPosition(pos);
    }
    return { carriageModes, carriagePositions, toolheadPosition: [...pos] };
  }

  restoreDualCarriageState(saved: SavedDcState, move: number, moveSpeed = 0.): void {
    const toolhead = this.toolhead();
    toolhead.flushStepGeneration();
    const movePos = [...toolhead.getPosition()];
    const dcs = [...this.dcRails.values()];
    if (move) {
      let homingSpeed = 99999999.;
      const curPos: number[][] = [];
      const positions = saved.carriagePositions;
      for (const dc of dcs) {
        this.toggleActiveDcRail(dc);
        homingSpeed = Math.min(homingSpeed, dc.rail.homingSpeed);
        curPos.push(toolhead.getPosition());
      }
      const dl = dcs.map((dc, i) => positions[dc.getName()]! - curPos[i]![dc.axis]!);
      for (const axis of this.axes) {
        const dcInd = dcs.map((dc, i) => dc.axis === axis ? i : -1).filter((i) => i >= 0);
        const absDl = dcInd.map((i) => Math.abs(dl[i]!));
        const primaryInd = dcInd[absDl.indexOf(Math.max(...absDl))]!;
        const primaryDc = dcs[primaryInd]!;
        this.toggleActiveDcRail(primaryDc);
        movePos[axis] = positions[primaryDc.getName()]!;
        for (const secondaryInd of dcInd) {
          if (secondaryInd === primaryInd) continue;
          if (Math.min(Math.abs(dl[primaryInd]!), Math.abs(dl[secondaryInd]!)) < .000000001) continue;
          const dcMode = dl[primaryInd]! * dl[secondaryInd]! > 0 ? COPY : MIRROR;
          dcs[secondaryInd]!.activate(dcMode, curPos[primaryInd]!);
          dcs[secondaryInd]!.overrideAxisScaling(Math.abs(dl[secondaryInd]! / dl[primaryInd]!), curPos[primaryInd]!);
        }
      }
      toolhead.manualMove(movePos, moveSpeed || homingSpeed);
      toolhead.flushStepGeneration();
    }
    // Inactivate everything to restore scaling and compute the limits afresh
    for (const dc of dcs) dc.inactivate(movePos);
    for (const axis of this.axes) movePos[axis] = saved.toolheadPosition[axis]!;
    toolhead.setPosition(movePos);
    const savedPrimary = [...this.dcRails.values()].filter((dc) => saved.carriageModes[dc.getName()] === PRIMARY);
    for (const dc of savedPrimary) this.activateDcMode(dc, PRIMARY);
    for (const dc of this.dcRails.values())
      if (!savedPrimary.includes(dc)) this.activateDcMode(dc, saved.carriageModes[dc.getName()]!);
  }
}
