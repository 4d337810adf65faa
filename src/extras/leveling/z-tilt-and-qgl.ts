// Levelling with several independently driven Z motors: [z_tilt] (Z_TILT_ADJUST fits a plane
// through probe points and moves each Z stepper by the plane's height at its pivot) and
// [quad_gantry_level] (QUAD_GANTRY_LEVEL levels a gantry on four Z motors from four probe points).
// Both repeat until the probed range is within retry_tolerance (retries), and report "applied".
import { ConfigError } from "../../core/config/errors.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { GCodeError } from "../../core/gcode/errors.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import type { ProbeResult } from "../probes/probe.ts";
import { transpose } from "../../motion/steps/linalg.ts";
import { type MaybePromise, runMaybeAsync } from "../../util/maybe-async.ts";
import { ProbePointsHelper } from "../probes/probe-points.ts";

interface ZStepper {
  getName(): string;
  isActiveAxis(axis: string): boolean;
  setTrapq(tq: unknown): unknown;
}
interface Toolhead {
  getPosition(): number[];
  flushStepGeneration(): void;
  readonly trapq: unknown;
  move(pos: readonly number[], speed: number): MaybePromise<void>;
  setPosition(pos: readonly number[], homingAxes?: string): void;
  getKinematics(): { getSteppers(): ZStepper[] };
}

/** Moves the Z steppers one at a time, lowest first, so each ends up at its own offset. */
class ZAdjustHelper {
  private steppers: ZStepper[] = [];

  constructor(private readonly printer: Printer, private readonly name: string, private readonly count: number) {
    printer.registerEventHandler("klippy:connect", () => {
      const zs = this.toolhead().getKinematics().getSteppers().filter((s) => s.isActiveAxis("z"));
      if (zs.length !== this.count) throw new ConfigError(`${this.name} z_positions needs exactly ${zs.length} items`);
      if (zs.length < 2) throw new ConfigError(`${this.name} requires multiple z steppers`);
      this.steppers = zs;
    });
  }

  private toolhead(): Toolhead {
    return this.printer.lookupObject("toolhead");
  }

  adjust(adjustments: number[], speed: number): MaybePromise<void> {
    const self = this;
    return runMaybeAsync((function* () {
      const th = self.toolhead();
      const pos = th.getPosition();
      self.printer.gcode.respondInfo(`Making the following Z adjustments:\n${self.steppers.map((s, i) => `${s.getName()} = ${adjustments[i]!.toFixed(6)}`).join("\n")}`);
      // Stop all Z steppers, then let them join in from the lowest to the highest
      th.flushStepGeneration();
      for (const s of self.steppers) s.setTrapq(null);
      const order = self.steppers.map((s, i) => [-adjustments[i]!, s] as const).sort((a, b) => a[0] - b[0]);
      const [firstOffset] = order[0]!;
      const zLow = pos[2]! - firstOffset;
      for (let i = 0; i < order.length - 1; i++) {
        th.flushStepGeneration();
        order[i]![1].setTrapq(th.trapq);
        pos[2] = zLow + order[i + 1]![0];
        try {
          yield th.move(pos, speed);
          th.setPosition(pos);
        } catch (e) {
          th.flushStepGeneration();
          for (const s of self.steppers) s.setTrapq(th.trapq);
          throw e;
        }
      }
      th.flushStepGeneration();
      order.at(-1)![1].setTrapq(th.trapq);
      pos[2] = pos[2]! + firstOffset;
      th.setPosition(pos);
    })());
  }
}

/** "applied" until the motors are switched off. */
class ZAdjustStatus {
  applied = false;
  constructor(printer: Printer) {
    printer.registerEventHandler("stepper_enable:motor_off", () => {
      this.applied = false;
    });
  }
  check(result: "done" | "retry"): "retry" | undefined {
    if (result === "done") this.applied = true;
    return result === "retry" ? "retry" : undefined;
  }
}

class RetryHelper {
  private readonly defaultRetries: number;
  private readonly defaultTolerance: number;
  private maxRetries = 0;
  private tolerance = 0;
  private current = 0;
  private previous: number | null = null;
  private increasing = 0;

  constructor(config: ConfigSection, private readonly printer: Printer, private readonly extra = "") {
    this.defaultRetries = config.getInt("retries", 0, { minval: 0 });
    this.defaultTolerance = config.getFloat("retry_tolerance", 0, { above: 0 });
  }

  start(g: GCodeCommand): void {
    this.maxRetries = g.getInt("RETRIES", this.defaultRetries, { minval: 0, maxval: 30 });
    this.tolerance = g.getFloat("RETRY_TOLERANCE", this.defaultTolerance, { minval: 0, maxval: 1 });
    this.current = 0;
    this.previous = null;
    this.increasing = 0;
  }

  check(zs: number[]): "done" | "retry" {
    if (this.maxRetries === 0) return "done";
    const error = Math.round((Math.max(...zs) - Math.min(...zs)) * 1e6) / 1e6;
    this.printer.gcode.respondInfo(`Retries: ${this.current}/${this.maxRetries} Probed points range: ${error.toFixed(6)} tolerance: ${this.tolerance.toFixed(6)}`);
    if (this.previous && error > this.previous + 0.0000001) this.increasing++;
    else if (this.increasing > 0) this.increasing--;
    this.previous = error;
    if (this.increasing > 1) throw new GCodeError(`Retries aborting: Probed points range is increasing. ${this.extra}`);
    if (error <= this.tolerance) return "done";
    this.current++;
    if (this.current > this.maxRetries) throw new GCodeError("Too many retries");
    return "retry";
  }
}

/** An option of X,Y pairs, one per line (z_positions, gantry_corners). */
function xyPairs(config: ConfigSection, option: string): [number, number][] {
  return (config.getLists<number>(option, undefined, { seps: [",", "\n"], parser: Number, count: 2 }) as number[][]).map((p) => [p[0]!, p[1]!]);
}

/** Register the levelling command: it clears "applied", reads RETRIES/RETRY_TOLERANCE and starts probing. */
function registerAdjustCommand(
  printer: Printer, cmd: string, desc: string, status: ZAdjustStatus, retry: RetryHelper, probeHelper: ProbePointsHelper,
): void {
  printer.gcode.register(cmd, (g) => {
    status.applied = false;
    retry.start(g);
    return probeHelper.startProbe(g);
  }, { desc });
}

/** Lift speed of probing (the probe's, or the helper's speed when probing manually). */
function liftSpeed(printer: Printer, config: ConfigSection): number {
  const probe = printer.lookupObject<{ getProbeParams(): { liftSpeed: number } } | null>("probe", null);
  return probe ? probe.getProbeParams().liftSpeed : config.getFloat("speed", 50, { above: 0 });
}

/**
 * Solve (AᵀA)x = Aᵀb by elimination from the last column; a (near) zero pivot makes that
 * coefficient 0 when underdetermined solutions are allowed (z_tilt with points on one line),
 * otherwise the fit fails. (linalg.gaussianSolve has no underdetermined mode.)
 */
function leastSquares(eqs: number[][], ans: number[], allowUnderdetermined: boolean): number[] | null {
  const t = transpose(eqs);
  const m = t.map((r) => t.map((c) => r.reduce((s, v, i) => s + v * c[i]!, 0)));
  const res = t.map((r) => r.reduce((s, v, i) => s + v * ans[i]!, 0));
  const n = m.length;
  for (let i = n - 1; i >= 0; i--) {
    let j = 0;
    for (let k = 1; k <= i; k++) if (Math.abs(m[k]![i]!) > Math.abs(m[j]![i]!)) j = k;
    [m[i], m[j]] = [m[j]!, m[i]!];
    [res[i], res[j]] = [res[j]!, res[i]!];
    const row = m[i]!;
    let recipr = 0;
    if (Math.abs(row[i]!) >= 1e-10) recipr = 1 / row[i]!;
    else if (!allowUnderdetermined) return null;
    const scaled = row.slice(0, i).map((v) => v * recipr);
    m[i] = scaled;
    res[i] = res[i]! * recipr;
    for (let r = 0; r < i; r++) {
      const c = m[r]![i]!;
      m[r] = scaled.map((v, k) => m[r]![k]! - c * v);
      res[r] = res[r]! - c * res[i]!;
    }
  }
  for (let i = 1; i < n; i++) for (let k = 0; k < i; k++) res[i] = res[i]! - m[i]![k]! * res[k]!;
  return res;
}

/** Least squares z = a + b*x + c*y through the probed points: [a, b, c]. */
export function fitPlane(points: readonly ProbeResult[], allowUnderdetermined = false): [number, number, number] {
  const res = leastSquares(points.map((p) => [1, p.bedX, p.bedY]), points.map((p) => p.bedZ), allowUnderdetermined);
  if (!res) throw new GCodeError("Unable to calculate tilt");
  return [res[0]!, res[1]!, res[2]!];
}

class ZTilt {
  private readonly zPositions: [number, number][];
  private readonly retry: RetryHelper;
  private readonly probeHelper: ProbePointsHelper;
  private readonly status: ZAdjustStatus;
  private readonly zHelper: ZAdjustHelper;

  constructor(private readonly config: ConfigSection, private readonly printer: Printer) {
    this.zPositions = xyPairs(config, "z_positions");
    this.retry = new RetryHelper(config, printer);
    this.probeHelper = new ProbePointsHelper(config, printer, (pos) => this.finalize(pos));
    this.probeHelper.minimumPoints(2);
    this.status = new ZAdjustStatus(printer);
    this.zHelper = new ZAdjustHelper(printer, config.getName(), this.zPositions.length);
    registerAdjustCommand(printer, "Z_TILT_ADJUST", "Adjust the Z tilt", this.status, this.retry, this.probeHelper);
  }

  private finalize(positions: ProbeResult[]): "retry" | undefined {
    const [z, x, y] = fitPlane(positions, true);
    void this.zHelper.adjust(this.zPositions.map(([px, py]) => px * x + py * y + z), liftSpeed(this.printer, this.config));
    return this.status.check(this.retry.check(positions.map((p) => p.bedZ)));
  }

  getStatus(): { applied: boolean } {
    return { applied: this.status.applied };
  }
}

type Line = [slope: number, intercept: number];
const lineFit = (p1: [number, number], p2: [number, number]): Line => {
  if (p1[1] === p2[1]) return [0, p1[1]];
  const m = (p2[1] - p1[1]) / (p2[0] - p1[0]);
  return [m, p1[1] - m * p1[0]];
};
const plot = (f: Line, x: number) => f[0] * x + f[1];

class QuadGantryLevel {
  private readonly retry: RetryHelper;
  private readonly maxAdjust: number;
  private readonly horizontalMoveZ: number;
  private readonly probeHelper: ProbePointsHelper;
  private readonly status: ZAdjustStatus;
  private readonly zHelper: ZAdjustHelper;
  private readonly corners: [number, number][];

  constructor(private readonly config: ConfigSection, private readonly printer: Printer) {
    this.retry = new RetryHelper(config, printer, "Possibly Z motor numbering is wrong");
    this.maxAdjust = config.getFloat("max_adjust", 4, { above: 0 });
    this.horizontalMoveZ = config.getFloat("horizontal_move_z", 5);
    this.probeHelper = new ProbePointsHelper(config, printer, (pos) => this.finalize(pos));
    if (this.probeHelper.probePoints.length !== 4) throw new ConfigError(`Need exactly 4 probe points for quad_gantry_level (section '${config.getName()}')`);
    this.status = new ZAdjustStatus(printer);
    this.zHelper = new ZAdjustHelper(printer, config.getName(), 4);
    this.corners = xyPairs(config, "gantry_corners");
    if (this.corners.length < 2) throw new ConfigError("quad_gantry_level requires at least two gantry_corners");
    registerAdjustCommand(printer, "QUAD_GANTRY_LEVEL", "Conform a moving, twistable gantry to the shape of a stationary bed",
      this.status, this.retry, this.probeHelper);
  }

  private finalize(pos: ProbeResult[]): "retry" | undefined {
    const gcode = this.printer.gcode;
    // Heights as the gantry sees them
    const zp = pos.map((p) => this.horizontalMoveZ - p.bedZ);
    gcode.respondInfo(`Gantry-relative probe points:\n${zp.map((z, i) => `${i}: ${z.toFixed(6)}`).join(" ")}\n`);
    const x03 = lineFit([pos[0]!.bedX, zp[0]!], [pos[3]!.bedX, zp[3]!]);
    const x12 = lineFit([pos[1]!.bedX, zp[1]!], [pos[2]!.bedX, zp[2]!]);
    const [c0, c1] = [this.corners[0]!, this.corners[1]!];
    const y01 = lineFit([pos[0]!.bedY, plot(x03, c0[0])], [pos[1]!.bedY, plot(x12, c0[0])]);
    const y23 = lineFit([pos[0]!.bedY, plot(x03, c1[0])], [pos[1]!.bedY, plot(x12, c1[0])]);
    const heights = [plot(y01, c0[1]), plot(y01, c1[1]), plot(y23, c1[1]), plot(y23, c0[1])];
    gcode.respondInfo(`Actuator Positions:\n${["z", "z1", "z2", "z3"].map((n, i) => `${n}: ${heights[i]!.toFixed(6)}`).join(" ")}`);
    const avg = heights.reduce((s, h) => s + h, 0) / heights.length;
    gcode.respondInfo(`Average: ${avg.toFixed(6)}`);
    const adjust = heights.map((h) => avg - h);
    const maxAdj = Math.max(...adjust);
    if (maxAdj > this.maxAdjust) throw new GCodeError(`Aborting quad_gantry_level required adjustment ${maxAdj.toFixed(6)} is greater than max_adjust ${this.maxAdjust.toFixed(6)}`);
    void this.zHelper.adjust(adjust, liftSpeed(this.printer, this.config));
    return this.status.check(this.retry.check(zp));
  }

  getStatus(): { applied: boolean } {
    return { applied: this.status.applied };
  }
}

registerModule("z_tilt", (config, printer) => new ZTilt(config, printer));
registerModule("quad_gantry_level", (config, printer) => new QuadGantryLevel(config, printer));
