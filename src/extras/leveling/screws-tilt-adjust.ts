// [screws_tilt_adjust]: SCREWS_TILT_CALCULATE probes at each bed screw and reports how far to turn
// each screw (full turns:minutes) relative to the base screw, for the configured thread.
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { GCodeError } from "../../core/gcode/errors.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import type { ProbeResult } from "../probes/probe.ts";
import { ProbePointsHelper } from "../probes/probe-points.ts";
import { readScrews } from "./bed-screws.ts";

const THREADS = ["CW-M3", "CCW-M3", "CW-M4", "CCW-M4", "CW-M5", "CCW-M5", "CW-M6", "CCW-M6"];
/** Bed height change (mm) per full turn of each thread (the metric pitch). */
const PITCH = [0.5, 0.5, 0.7, 0.7, 0.8, 0.8, 1.0, 1.0];

/** Python's round(x): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** "HH:MM": full turns and minutes (1/60 turn) of a turn count. */
export function turnsText(turns: number): string {
  const full = Math.trunc(turns);
  const minutes = roundHalfEven((turns - full) * 60);
  return `${String(full).padStart(2, "0")}:${String(minutes).padStart(2, "0")}`;
}

interface ScrewResult {
  z: number;
  sign: "CW" | "CCW";
  adjust: string;
  is_base: boolean;
}

class ScrewsTiltAdjust {
  private readonly screws: [[number, number], string][];
  private readonly thread: number;
  private readonly probeHelper: ProbePointsHelper;
  private results: Record<string, ScrewResult> = {};
  private maxDiff: number | null = null;
  private maxDiffError = false;
  private direction: "CW" | "CCW" | null = null;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    this.screws = readScrews(config, 3, "screws_tilt_adjust");
    this.thread = THREADS.indexOf(config.getChoice("screw_thread", THREADS, "CW-M3"));
    this.probeHelper = new ProbePointsHelper(config, printer, (pos) => this.finalize(pos), this.screws.map(([c]) => [c[0], c[1]]));
    this.probeHelper.minimumPoints(3);
    printer.gcode.register("SCREWS_TILT_CALCULATE", (g) => this.cmdCalculate(g), {
      desc: "Tool to help adjust bed leveling screws by calculating the number of turns to level it.",
    });
  }

  private cmdCalculate(g: GCodeCommand) {
    this.maxDiff = g.getFloat("MAX_DEVIATION", null);
    const dir = g.get("DIRECTION", null)?.toUpperCase() ?? null;
    if (dir !== null && dir !== "CW" && dir !== "CCW") throw g.error(`Error on '${g.getCommandline()}': DIRECTION must be either CW or CCW`);
    this.direction = dir;
    return this.probeHelper.startProbe(g);
  }

  private finalize(positions: ProbeResult[]): void {
    this.results = {};
    this.maxDiffError = false;
    const clockwise = (this.thread & 1) === 0;
    const zs = positions.map((p) => p.bedZ);
    let base = 0;
    if (this.direction !== null) {
      // The lowest (or highest) screw is the base, so every turn goes the same direction
      const useMax = (clockwise && this.direction === "CW") || (!clockwise && this.direction === "CCW");
      base = zs.reduce((best, z, i) => ((useMax ? z > zs[best]! : z < zs[best]!) ? i : best), 0);
    }
    const gcode = this.printer.gcode;
    gcode.respondInfo("01:20 means 1 full turn and 20 minutes, CW=clockwise, CCW=counter-clockwise");
    const diffs: number[] = [];
    this.screws.forEach(([coord, name], i) => {
      const z = zs[i]!;
      const where = `x=${coord[0].toFixed(1)}, y=${coord[1].toFixed(1)}, z=${z.toFixed(5)}`;
      if (i === base) {
        gcode.respondInfo(`${name} (base) : ${where}`);
        this.results[`screw${i + 1}`] = { z, sign: clockwise ? "CW" : "CCW", adjust: "00:00", is_base: true };
        return;
      }
      const diff = zs[base]! - z;
      diffs.push(Math.abs(diff));
      const adjust = Math.abs(diff) < 0.001 ? 0 : diff / PITCH[this.thread]!;
      const sign = clockwise === adjust >= 0 ? "CW" : "CCW";
      const text = turnsText(Math.abs(adjust));
      gcode.respondInfo(`${name} : ${where} : adjust ${sign} ${text}`);
      this.results[`screw${i + 1}`] = { z, sign, adjust: text, is_base: false };
    });
    if (this.maxDiff && diffs.some((d) => d > this.maxDiff!)) {
      this.maxDiffError = true;
      throw new GCodeError(`bed level exceeds configured limits (${this.maxDiff}mm)! Adjust screws and restart print.`);
    }
  }

  getStatus(): Record<string, unknown> {
    return { error: this.maxDiffError, max_deviation: this.maxDiff, results: this.results };
  }
}

registerModule("screws_tilt_adjust", (config, printer) => new ScrewsTiltAdjust(config, printer));
