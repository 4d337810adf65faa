// Probing a series of points (Klipper's ProbePointsHelper) with the [probe] or,
// without one, by hand (manual_probe's ManualProbeHelper: TESTZ / ACCEPT /
// ABORT), plus the modules built on it here: [manual_probe] (MANUAL_PROBE) and
// [delta_calibrate] (DELTA_CALIBRATE probing).
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { GCodeError } from "../../core/gcode/errors.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { createProbeResult, type PrinterProbe, type ProbeCommand, type ProbeResult } from "./probe.ts";
import { type MaybePromise, runMaybeAsync, then } from "../../util/maybe-async.ts";

declare module "../../core/printer.ts" {
  interface PrinterObjects {
    manual_probe: ManualProbe;
  }
}

const Z_BOB_MINIMUM = 0.5;
const BISECT_MAX = 0.2;

interface PointsToolhead {
  getPosition(): number[];
  manualMove(coord: readonly (number | null)[], speed: number): MaybePromise<void>;
  getLastMoveTime(): number;
  flushStepGeneration(): void;
  getKinematics(): {
    getSteppers(): { getName(): string; getCommandedPosition(): number }[];
    calcPosition(spos: Record<string, number>): (number | null)[];
  };
}

/** Refuse to start while a manual probe is waiting for TESTZ/ACCEPT. */
function verifyNoManualProbe(printer: Printer): void {
  if (printer.gcode.isRegistered("ACCEPT")) throw new GCodeError("Already in a manual Z probe. Use ABORT to abort it.");
}

/** The "manual_probe" printer object: status of a manual probe in progress and MANUAL_PROBE. */
export class ManualProbe {
  status: Record<string, unknown> = { is_active: false, z_position: null, z_position_lower: null, z_position_upper: null };

  constructor(printer: Printer) {
    printer.gcode.register("MANUAL_PROBE", (g: GCodeCommand) => {
      new ManualProbeHelper(printer, g, (res) => {
        if (res) g.respondInfo(`Z position is ${res.bedZ.toFixed(3)}`);
      });
    }, { desc: "Start manual probe helper script" });
  }
  resetStatus(): void {
    this.status = { is_active: false, z_position: null, z_position_lower: null, z_position_upper: null };
  }
  getStatus(): Record<string, unknown> {
    return this.status;
  }
}

/** One manual Z measurement: the user jogs Z with TESTZ and confirms with ACCEPT. */
export class ManualProbeHelper {
  private readonly toolhead: PointsToolhead;
  private readonly speed: number;
  private readonly pastPositions: number[] = [];
  private lastToolheadPos: number[] | null = null;
  private lastKinematicsPos: (number | null)[] | null = null;
  private readonly startPosition: number[];

  constructor(private readonly printer: Printer, g: { getFloat(n: string, d: number): number; respondInfo(m: string): void },
    private readonly finalizeCallback: (res: ProbeResult | null) => MaybePromise<void>) {
    this.toolhead = printer.lookupObject("toolhead");
    this.speed = g.getFloat("SPEED", 5);
    verifyNoManualProbe(printer);
    const gcode = printer.gcode;
    gcode.register("ACCEPT", (c) => this.cmdAccept(c), { desc: "Accept the current Z position" });
    gcode.register("NEXT", (c) => this.cmdAccept(c));
    gcode.register("ABORT", () => this.finalize(false), { desc: "Abort manual Z probing tool" });
    gcode.register("TESTZ", (c) => this.cmdTestz(c), { desc: "Move to new Z height" });
    gcode.respondInfo("Starting manual Z probe. Use TESTZ to adjust position.\nFinish with ACCEPT or ABORT command.");
    this.startPosition = this.toolhead.getPosition();
    this.reportZStatus();
  }

  private manualProbe(): ManualProbe | null {
    return this.printer.lookupObject("manual_probe", null);
  }

  private getKinematicsPos(): (number | null)[] {
    const pos = this.toolhead.getPosition();
    if (this.lastToolheadPos && pos.every((v, i) => v === this.lastToolheadPos![i])) return this.lastKinematicsPos!;
    this.toolhead.flushStepGeneration();
    const kin = this.toolhead.getKinematics();
    const spos: Record<string, number> = {};
    for (const s of kin.getSteppers()) spos[s.getName()] = s.getCommandedPosition();
    const kinPos = kin.calcPosition(spos);
    this.lastToolheadPos = pos;
    this.lastKinematicsPos = kinPos;
    return kinPos;
  }

  private moveZ(zPos: number): MaybePromise<void> {
    const self = this;
    return runMaybeAsync((function* () {
      const cur = self.toolhead.getPosition();
      try {
        const bob = zPos + Z_BOB_MINIMUM;
        if (cur[2]! < bob) yield self.toolhead.manualMove([null, null, bob], self.speed);
        yield self.toolhead.manualMove([null, null, zPos], self.speed);
      } catch (e) {
        yield self.finalize(false);
        throw e;
      }
    })());
  }

  private reportZStatus(warnNoChange = false, prevPos: number | null = null): void {
    const z = this.getKinematicsPos()[2] ?? 0;
    if (warnNoChange && z === prevPos) this.printer.gcode.respondInfo("WARNING: No change in position (reached stepper resolution)");
    const pp = this.pastPositions;
    let next = pp.findIndex((v) => v >= z);
    if (next < 0) next = pp.length;
    const prev = next - 1;
    if (next < pp.length && pp[next] === z) next++;
    const prevVal = prev >= 0 ? pp[prev]! : null;
    const nextVal = next < pp.length ? pp[next]! : null;
    const mp = this.manualProbe();
    if (mp) mp.status = { is_active: true, z_position: z, z_position_lower: prevVal, z_position_upper: nextVal };
    const fmt = (v: number | null) => (v === null ? "??????" : v.toFixed(3));
    this.printer.gcode.respondInfo(`Z position: ${fmt(prevVal)} --> ${z.toFixed(3)} <-- ${fmt(nextVal)}`);
  }

  private cmdAccept(g: GCodeCommand): MaybePromise<void> {
    const pos = this.toolhead.getPosition();
    const start = this.startPosition;
    if (pos[0] !== start[0] || pos[1] !== start[1] || pos[2]! >= start[2]!) {
      g.respondInfo("Manual probe failed! Use TESTZ commands to position the\nnozzle prior to running ACCEPT.");
      return this.finalize(false);
    }
    return this.finalize(true);
  }

  private cmdTestz(g: GCodeCommand): MaybePromise<void> {
    const z = this.getKinematicsPos()[2] ?? 0;
    const pp = this.pastPositions;
    let insert = pp.findIndex((v) => v >= z);
    if (insert < 0) insert = pp.length;
    if (insert >= pp.length || pp[insert] !== z) pp.splice(insert, 0, z);
    const req = g.get("Z");
    let nextZ: number;
    if (req === "+" || req === "++") {
      let check = insert < pp.length - 1 ? pp[insert + 1]! : 9999999999999.9;
      if (req === "+") check = (check + z) / 2;
      nextZ = Math.min(check, z + BISECT_MAX);
    } else if (req === "-" || req === "--") {
      let check = insert > 0 ? pp[insert - 1]! : -9999999999999.9;
      if (req === "-") check = (check + z) / 2;
      nextZ = Math.max(check, z - BISECT_MAX);
    } else {
      nextZ = z + g.getFloat("Z");
    }
    return then(this.moveZ(nextZ), () => this.reportZStatus(nextZ !== z, z));
  }

  private finalize(success: boolean): MaybePromise<void> {
    this.manualProbe()?.resetStatus();
    for (const c of ["ACCEPT", "NEXT", "ABORT", "TESTZ"]) this.printer.gcode.register(c, null);
    const result = success ? createProbeResult(this.getKinematicsPos().map((v) => v ?? 0)) : null;
    return this.finalizeCallback(result);
  }
}

/** What a points helper hands back when every point is probed; "retry" starts over. */
export type PointsFinalize = (results: ProbeResult[]) => void | "retry";

export class ProbePointsHelper {
  probePoints: [number, number][];
  private readonly defaultHorizontalMoveZ: number;
  private horizontalMoveZ = 5;
  private readonly speed: number;
  private liftSpeed: number;
  private useOffsets = false;
  private probeOffsets: [number, number, number] = [0, 0, 0];
  private manualResults: ProbeResult[] = [];

  constructor(config: ConfigSection, private readonly printer: Printer, private readonly finalizeCallback: PointsFinalize,
    defaultPoints: [number, number][] | null = null) {
    this.probePoints = defaultPoints ?? [];
    if (defaultPoints === null || config.get("points", null) !== null) {
      const pts = config.getLists<number>("points", undefined, { seps: [",", "\n"], parser: Number, count: 2 }) as number[][];
      this.probePoints = pts.map((p) => [p[0]!, p[1]!]);
    }
    this.defaultHorizontalMoveZ = config.getFloat("horizontal_move_z", 5);
    this.speed = config.getFloat("speed", 50, { above: 0 });
    this.liftSpeed = this.speed;
    this.name = config.getName();
  }
  private readonly name: string;

  minimumPoints(n: number): void {
    if (this.probePoints.length < n) throw new GCodeError(`Need at least ${n} probe points for ${this.name}`);
  }
  useXyOffsets(use: boolean): void {
    this.useOffsets = use;
  }

  private toolhead(): PointsToolhead {
    return this.printer.lookupObject("toolhead");
  }
  private raiseTool(isFirst = false): MaybePromise<void> {
    return this.toolhead().manualMove([null, null, this.horizontalMoveZ], isFirst ? this.speed : this.liftSpeed);
  }
  private invokeCallback(results: ProbeResult[]): boolean {
    this.toolhead().getLastMoveTime();
    return this.finalizeCallback(results) !== "retry";
  }
  private moveNext(n: number): MaybePromise<void> {
    const next = this.probePoints[n]!.slice();
    if (this.useOffsets) {
      next[0] = next[0]! - this.probeOffsets[0];
      next[1] = next[1]! - this.probeOffsets[1];
    }
    return this.toolhead().manualMove(next, this.speed);
  }

  /** Probe every point (automatically, or start the manual TESTZ/ACCEPT sequence). */
  startProbe(g: GCodeCommand): MaybePromise<void> {
    verifyNoManualProbe(this.printer);
    const probe = this.printer.lookupObject<PrinterProbe>("probe", null);
    const method = g.get("METHOD", "automatic").toLowerCase();
    this.horizontalMoveZ = g.getFloat("HORIZONTAL_MOVE_Z", this.defaultHorizontalMoveZ);
    if (!probe || method === "manual") {
      this.liftSpeed = this.speed;
      this.probeOffsets = [0, 0, 0];
      this.manualResults = [];
      return this.manualProbeStart();
    }
    return runMaybeAsync(this.probeSteps(g, probe));
  }

  private *probeSteps(g: GCodeCommand, probe: PrinterProbe): Generator<unknown, void, unknown> {
    const pc = g as unknown as ProbeCommand;
    this.liftSpeed = probe.getProbeParams(pc).liftSpeed;
    this.probeOffsets = probe.getOffsets();
    if (this.horizontalMoveZ < this.probeOffsets[2]) throw g.error("horizontal_move_z can't be less than probe's z_offset");
    probe.startProbeSession(pc);
    let n = 0;
    for (;;) {
      yield this.raiseTool(n === 0);
      if (n >= this.probePoints.length) {
        if (this.invokeCallback(probe.pullProbedResults())) break;
        n = 0;
      }
      yield this.moveNext(n);
      yield probe.runProbe(pc);
      n++;
    }
    probe.endProbeSession();
  }

  private manualProbeStart(): MaybePromise<void> {
    return runMaybeAsync(this.manualProbeSteps());
  }

  private *manualProbeSteps(): Generator<unknown, void, unknown> {
    yield this.raiseTool(this.manualResults.length === 0);
    if (this.manualResults.length >= this.probePoints.length) {
      if (this.invokeCallback(this.manualResults)) return;
      this.manualResults = [];
    }
    yield this.moveNext(this.manualResults.length);
    const g = this.printer.gcode.createCommand("", "", {});
    new ManualProbeHelper(this.printer, g, (res) => {
      if (!res) return;
      this.manualResults.push(res);
      return this.manualProbeStart();
    });
  }
}

/** [delta_calibrate]: DELTA_CALIBRATE probes the calibration points. */
class DeltaCalibrate {
  readonly probeHelper: ProbePointsHelper;
  constructor(config: ConfigSection, printer: Printer) {
    const radius = config.getFloat("radius", undefined, { above: 0 });
    const points: [number, number][] = [[0, 0]];
    const scatter = [0.95, 0.9, 0.85, 0.7, 0.75, 0.8];
    for (let i = 0; i < 6; i++) {
      const r = ((90 + 60 * i) * Math.PI) / 180;
      const dist = radius * scatter[i]!;
      points.push([Math.cos(r) * dist, Math.sin(r) * dist]);
    }
    this.probeHelper = new ProbePointsHelper(config, printer, () => {
      throw new GCodeError("DELTA_CALIBRATE: computing new delta parameters is not supported by this build");
    }, points);
    this.probeHelper.minimumPoints(3);
    // Saved calibration data (SAVE_CONFIG) is accepted but not used here
    for (const prefix of ["height", "manual_height", "distance"])
      for (const opt of config.getPrefixOptions(prefix)) config.get(opt);
    printer.gcode.register("DELTA_CALIBRATE", (g) => this.probeHelper.startProbe(g), { desc: "Delta calibration script" });
  }
}

registerModule("manual_probe", (_config, printer) => new ManualProbe(printer), { stage: "toolhead", always: true });
registerModule("delta_calibrate", (config, printer) => new DeltaCalibrate(config, printer));
