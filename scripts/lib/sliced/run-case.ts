// Runs one sliced-print case through real klippy and Stepline's batch mode and classifies the result;
// shrinks a diverging G-code file to a short one that still diverges (prefix bisection, then removal of
// ever smaller chunks of lines, within a budget of oracle runs).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compareWithKlippy, type Dicts, type OracleComparison } from "../klippy-oracle.ts";
import type { SweepConfig } from "../klippy-sweep.ts";
import { buildCase, type BuiltCase, makeCase, type SlicedCase } from "./cases.ts";
import { readPrinter } from "./printer.ts";

export type Verdict = "match" | "diverge" | "skip";

export interface CaseResult {
  verdict: Verdict;
  /** compare_steps' summary, or why the case was skipped */
  summary: string;
  case?: SlicedCase;
  built?: BuiltCase;
  comparison?: OracleComparison;
}

/** Same steps to the tick, no global offset, and both hosts ended the same way. */
export function matches(r: OracleComparison): boolean {
  const klippyOk = r.klippy.exitCode === 0;
  const steplineOk = r.stepline.result === "exit";
  // no offset printed = no steps on either side
  return r.pass && (r.offsetTicks ?? 0) === 0 && klippyOk === steplineOk;
}

/** One line on why a comparison is not a match. */
export function whyNot(r: OracleComparison): string {
  if (!r.pass) return r.summary;
  if ((r.offsetTicks ?? 0) !== 0) return `global offset ${r.offsetTicks} ticks`;
  return `klippy exit ${r.klippy.exitCode}, stepline ${r.stepline.result}${r.stepline.error ? `: ${r.stepline.error}` : ""}`;
}

/**
 * klippy's batch mode still runs a TMC driver's periodic register check on the wall clock; with no MCU
 * to answer, a TMC2660 reads as reset and klippy shuts down once the run lasts over a second. Such a
 * run says nothing about motion: the reason, or null.
 */
export function klippyWallClockFault(r: OracleComparison): string | null {
  if (r.klippy.exitCode === 0) return null;
  const m = /Transition to shutdown state: (TMC '[^']+' reports error: .*)/.exec(r.klippy.log);
  return m ? `klippy batch artifact (wall-clock TMC check): ${m[1]}` : null;
}

/** klippy's python itself died of a signal (seen: glibc's "munmap_chunk(): invalid pointer" abort):
 * the oracle gave no answer, so the case is a skip, with the signal and klippy's last words. */
export function klippyCrash(r: OracleComparison): string | null {
  if (!r.klippy.signal) return null;
  return `klippy oracle killed by ${r.klippy.signal}${r.klippy.stderrTail ? `: ${r.klippy.stderrTail.replaceAll("\n", " | ")}` : ""}`;
}

/** Builds the case of `seed` for config `c` under `work`/<name>-<seed> and compares the two hosts. */
export async function runSlicedCase(work: string, c: SweepConfig, seed: number): Promise<CaseResult> {
  const info = readPrinter(c.path);
  if (typeof info === "string") return { verdict: "skip", summary: info };
  const dir = join(work, `${c.name}-${seed}`);
  mkdirSync(dir, { recursive: true });
  const sc = makeCase(c.name, seed, info);
  const built = buildCase(dir, c.path, sc, info);
  const comparison = await compareWithKlippy(join(dir, "run"), built.config, built.gcode, c.dicts);
  const artifact = klippyCrash(comparison) ?? klippyWallClockFault(comparison);
  if (artifact) return { verdict: "skip", summary: artifact, case: sc, built, comparison };
  return { verdict: matches(comparison) ? "match" : "diverge", summary: matches(comparison) ? comparison.summary : whyNot(comparison), case: sc, built, comparison };
}

/** Whether `lines` as a G-code file still diverge on `config` (klippy must run it without error). */
async function diverges(dir: string, config: string, dicts: Dicts, lines: string[]): Promise<boolean> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const gcode = join(dir, "input.gcode");
  writeFileSync(gcode, `${lines.join("\n")}\n`);
  const r = await compareWithKlippy(join(dir, "run"), config, gcode, dicts);
  return r.klippy.exitCode === 0 && !matches(r);
}

/**
 * The shortest G-code found (within `budget` oracle runs) that still diverges on `config`: comments
 * dropped, the shortest diverging prefix, then chunks of lines removed while it still diverges.
 */
export async function shrinkGcode(work: string, config: string, dicts: Dicts, gcode: string, budget = 120, log: (m: string) => void = () => {}): Promise<string[]> {
  let runs = 0;
  const test = async (lines: string[]) => {
    runs++;
    return diverges(join(work, "shrink"), config, dicts, lines);
  };
  let lines = readFileSync(gcode, "utf8").split("\n").map((l) => l.replace(/;.*$/, "").trim()).filter(Boolean);
  if (!(await test(lines))) throw new Error("the case does not diverge without its comments");
  // shortest diverging prefix
  let lo = 1, hi = lines.length;
  while (lo < hi && runs < budget) {
    const mid = (lo + hi) >> 1;
    if (await test(lines.slice(0, mid))) hi = mid;
    else lo = mid + 1;
  }
  lines = lines.slice(0, hi);
  log(`prefix of ${lines.length} lines after ${runs} runs`);
  // remove chunks, halving their size (ddmin's complement step)
  for (let chunk = Math.max(1, lines.length >> 1); runs < budget; chunk >>= 1) {
    // back to front, so the indices still to try stay valid when a chunk goes
    for (let end = lines.length; end > 0 && runs < budget; end -= chunk) {
      const cand = [...lines.slice(0, Math.max(0, end - chunk)), ...lines.slice(end)];
      if (cand.length && (await test(cand))) lines = cand;
    }
    if (chunk === 1) break;
  }
  log(`${lines.length} lines after ${runs} runs`);
  rmSync(join(work, "shrink"), { recursive: true, force: true });
  return lines;
}
