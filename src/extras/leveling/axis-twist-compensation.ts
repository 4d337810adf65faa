// [axis_twist_compensation]: corrects probe results for a twisted X (or Y) rail: a table of Z
// offsets along the axis, linearly interpolated at the probed position, is added to every probe
// result. AXIS_TWIST_COMPENSATION_CALIBRATE measures the table: at each point it probes, then the
// user finds the nozzle height by paper test (TESTZ/ACCEPT), and the differences become the table.
import type { ConfigSection } from "../../core/config/section.ts";
import { pyFloat } from "../../core/config/pyformat.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { ConfigError } from "../../core/config/errors.ts";
import { GCodeError } from "../../core/gcode/errors.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import type { ProbeCommand, ProbeResult } from "../probes/probe.ts";
import { type MaybePromise, runMaybeAsync } from "../../util/maybe-async.ts";
import { ManualProbeHelper } from "../probes/probe-points.ts";

interface Probe {
  getOffsets(): [number, number, number];
  getProbeParams(g?: ProbeCommand | null): { liftSpeed: number };
  startProbeSession(g: ProbeCommand | null): unknown;
  runProbe(g: ProbeCommand): MaybePromise<void>;
  pullProbedResults(): ProbeResult[];
  endProbeSession(): MaybePromise<void>;
}

/** Linear interpolation in an evenly spaced table from `start` to `end` (clamped to its ends' segments). */
export function interpolateCompensation(coord: number, table: readonly number[], start: number, end: number): number {
  const n = table.length;
  const spacing = (end - start) / (n - 1);
  let t = (coord - start) / spacing;
  const i = Math.max(0, Math.min(n - 2, Math.floor(t)));
  t -= i;
  return (1 - t) * table[i]! + t * table[i + 1]!;
}

class AxisTwistCompensation {
  private readonly horizontalMoveZ: number;
  private readonly speed: number;
  private readonly calibrateStartX: number | null;
  private readonly calibrateEndX: number | null;
  private readonly calibrateY: number | null;
  private zCompensations: number[];
  private compStartX: number | null;
  private compEndX: number | null;
  private readonly calibrateStartY: number | null;
  private readonly calibrateEndY: number | null;
  private readonly calibrateX: number | null;
  private compStartY: number | null;
  private compEndY: number | null;
  private zyCompensations: number[];
  private probe: Probe | null = null;

  constructor(private readonly config: ConfigSection, private readonly printer: Printer) {
    this.horizontalMoveZ = config.getFloat("horizontal_move_z", 5);
    this.speed = config.getFloat("speed", 50);
    this.calibrateStartX = config.getFloat("calibrate_start_x", null);
    this.calibrateEndX = config.getFloat("calibrate_end_x", null);
    this.calibrateY = config.getFloat("calibrate_y", null);
    this.zCompensations = this.floats("z_compensations");
    this.compStartX = config.getFloat("compensation_start_x", null);
    this.compEndX = config.getFloat("compensation_end_x", null);
    this.calibrateStartY = config.getFloat("calibrate_start_y", null);
    this.calibrateEndY = config.getFloat("calibrate_end_y", null);
    this.calibrateX = config.getFloat("calibrate_x", null);
    this.compStartY = config.getFloat("compensation_start_y", null);
    this.compEndY = config.getFloat("compensation_end_y", null);
    this.zyCompensations = this.floats("zy_compensations");
    printer.registerEventHandler("probe:update_results", (list: ProbeResult[]) => this.update(list));
    printer.registerEventHandler("klippy:connect", () => {
      this.probe = printer.lookupObject<Probe | null>("probe", null);
      if (!this.probe) throw new ConfigError("AXIS_TWIST_COMPENSATION requires [probe] to be defined");
    });
    printer.gcode.register("AXIS_TWIST_COMPENSATION_CALIBRATE", (g) => this.cmdCalibrate(g), {
      desc: "Performs the x twist calibration wizard: measure z probe offset at n points along the x axis, and calculate x twist compensation",
    });
  }

  private floats(option: string): number[] {
    return (this.config.getLists<number>(option, [], { seps: [",", "\n"], parser: Number }) as number[][]).flat();
  }

  private update(list: ProbeResult[]): void {
    list.forEach((p, i) => {
      let zo = 0;
      if (this.zCompensations.length) zo += interpolateCompensation(p.testX, this.zCompensations, this.compStartX!, this.compEndX!);
      if (this.zyCompensations.length) zo += interpolateCompensation(p.testY, this.zyCompensations, this.compStartY!, this.compEndY!);
      list[i] = { ...p, bedZ: p.bedZ + zo };
    });
  }

  private toolhead(): { manualMove(c: readonly (number | null)[], s: number): MaybePromise<void> } {
    return this.printer.lookupObject("toolhead");
  }

  private cmdCalibrate(g: GCodeCommand): MaybePromise<void> {
    const probe = this.probe!;
    const [px, py] = probe.getOffsets();
    const count = g.getInt("SAMPLE_COUNT", 3);
    const axis = g.get("AXIS", "X");
    if (count < 2) throw g.error("SAMPLE_COUNT to probe must be at least 2");
    let nozzle: [number, number][];
    if (axis === "X") {
      this.zCompensations = [];
      if (!this.calibrateStartX || !this.calibrateEndX || !this.calibrateY)
        throw g.error("AXIS_TWIST_COMPENSATION for X axis requires calibrate_start_x, calibrate_end_x and calibrate_y to be defined");
      const step = (this.calibrateEndX - this.calibrateStartX) / (count - 1);
      nozzle = Array.from({ length: count }, (_, i) => [this.calibrateStartX! + i * step, this.calibrateY!]);
    } else if (axis === "Y") {
      this.zyCompensations = [];
      if (!this.calibrateX || !this.calibrateEndY || !this.calibrateStartY)
        throw g.error("AXIS_TWIST_COMPENSATION for Y axis requires calibrate_start_y, calibrate_end_y and calibrate_x to be defined");
      const step = (this.calibrateEndY - this.calibrateStartY) / (count - 1);
      nozzle = Array.from({ length: count }, (_, i) => [this.calibrateX!, this.calibrateStartY! + i * step]);
    } else throw g.error("AXIS_TWIST_COMPENSATION_CALIBRATE: Invalid axis.");
    if (this.printer.gcode.isRegistered("ACCEPT")) throw new GCodeError("Already in a manual Z probe. Use ABORT to abort it.");
    const probePoints = nozzle.map(([x, y]) => [x - px, y - py] as [number, number]);
    return this.calibratePoint(g, axis, probePoints, nozzle, 0, []);
  }

  private calibratePoint(g: GCodeCommand, axis: string, probePoints: [number, number][], nozzle: [number, number][], index: number, results: number[]): MaybePromise<void> {
    const self = this;
    const probe = this.probe!;
    const lift = probe.getProbeParams().liftSpeed;
    return runMaybeAsync((function* () {
      g.respondInfo(`AXIS_TWIST_COMPENSATION_CALIBRATE: Probing point ${index + 1} of ${probePoints.length}`);
      const th = self.toolhead();
      yield th.manualMove([null, null, self.horizontalMoveZ], lift);
      yield th.manualMove([...probePoints[index]!, null], self.speed);
      const pg = g as unknown as ProbeCommand;
      probe.startProbeSession(pg);
      let measured: number;
      try {
        yield probe.runProbe(pg);
        measured = probe.pullProbedResults()[0]!.bedZ;
      } finally {
        yield probe.endProbeSession();
      }
      yield th.manualMove([null, null, self.horizontalMoveZ], lift);
      yield th.manualMove([...nozzle[index]!, null], self.speed);
      new ManualProbeHelper(self.printer, g, (res) => {
        if (!res) {
          g.respondInfo("AXIS_TWIST_COMPENSATION_CALIBRATE: Probe cancelled, calibration aborted");
          return;
        }
        results.push(measured - res.bedZ);
        if (index === probePoints.length - 1) return self.finish(g, axis, results);
        return self.calibratePoint(g, axis, probePoints, nozzle, index + 1, results);
      });
    })());
  }

  private finish(g: GCodeCommand, axis: string, raw: number[]): void {
    const avg = raw.reduce((s, v) => s + v, 0) / raw.length;
    const results = raw.map((v) => avg - v);
    const text = results.map((v) => v.toFixed(6)).join(", ");
    const autosave = this.printer.config.autosave;
    const name = this.config.getName();
    if (axis === "X") {
      autosave.set(name, "z_compensations", text);
      autosave.set(name, "compensation_start_x", this.calibrateStartX!);
      autosave.set(name, "compensation_end_x", this.calibrateEndX!);
      [this.zCompensations, this.compStartX, this.compEndX] = [results, this.calibrateStartX, this.calibrateEndX];
    } else {
      autosave.set(name, "zy_compensations", text);
      autosave.set(name, "compensation_start_y", this.calibrateStartY!);
      autosave.set(name, "compensation_end_y", this.calibrateEndY!);
      [this.zyCompensations, this.compStartY, this.compEndY] = [results, this.calibrateStartY, this.calibrateEndY];
    }
    this.printer.gcode.respondInfo("AXIS_TWIST_COMPENSATION state has been saved for the current session.  The SAVE_CONFIG command will update the printer config file and restart the printer.");
    g.respondInfo(`AXIS_TWIST_COMPENSATION_CALIBRATE: Calibration complete, offsets: [${results.map(pyFloat).join(", ")}], mean z_offset: ${avg.toFixed(6)}`);
  }
}

registerModule("axis_twist_compensation", (config, printer) => new AxisTwistCompensation(config, printer));
