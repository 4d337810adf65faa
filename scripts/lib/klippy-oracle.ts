// Real Klipper host (klippy at the reference commit, unpacked by scripts/lib/klippy.ts) as a test oracle:
// runs klippy's batch mode and parsedump.py, and compares step streams with the reference kit's
// compare_steps.py (tolerance in µs, 0 = to the tick).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { klippyRoot, klippyUnavailable, PYTHON } from "./klippy.ts";
import { type BatchResult, runBatch } from "../../src/batch/run.ts";
import { DataDictionary, ParseDumper } from "../../src/protocol/index.ts";
import { KLIPPER_REFERENCE, SHARED_REFERENCE } from "./reference.ts";

export { KLIPPY_TARBALL, klippyRoot, PYTHON } from "./klippy.ts";
const COMPARE_STEPS = `${SHARED_REFERENCE}/tools/compare_steps.py`;

let warned = false;
/** Why the oracle cannot run here (null when it can); in CI a missing oracle is an error, not a skip. */
export function klippyMissing(): string | null {
  const reason = klippyUnavailable();
  if (reason && process.env.CI) throw new Error(`klippy oracle unavailable in CI: ${reason}`);
  if (reason && !warned) console.warn(`skipping klippy oracle tests: ${reason}`);
  warned = true;
  return reason;
}

/** MCU name -> dictionary path; "mcu" is the main MCU. */
export type Dicts = Record<string, string>;

/** The parsedump file name of an MCU, as the reference cases name them. */
export const dumpName = (mcu: string) => (mcu === "mcu" ? "parsedump.txt" : `parsedump-${mcu}.txt`);

export interface KlippyBatch {
  exitCode: number;
  /** the signal that killed klippy's python (e.g. SIGABRT from a libc heap check), or null */
  signal: string | null;
  /** the last lines klippy wrote to stderr */
  stderrTail: string;
  /** klippy's log (-l) */
  log: string;
}

/**
 * Makes `caseDir` a reference case from real klippy: printer.cfg, input.gcode, meta.json, out.serial
 * and parsedump(-<mcu>).txt of every MCU, as the reference kit's cases hold them.
 */
export function klippyBatchCase(caseDir: string, config: string, gcode: string, dicts: Dicts): KlippyBatch {
  mkdirSync(caseDir, { recursive: true });
  writeFileSync(join(caseDir, "printer.cfg"), readFileSync(config));
  writeFileSync(join(caseDir, "input.gcode"), readFileSync(gcode));
  const { run, dumps } = klippyBatchOnce(caseDir, dicts);
  for (const [name, text] of dumps) writeFileSync(join(caseDir, name), text);
  const meta = { dicts: Object.fromEntries(Object.entries(dicts).map(([m, d]) => [m, basename(d)])), exit_code: run.exitCode };
  writeFileSync(join(caseDir, "meta.json"), JSON.stringify(meta, null, 1));
  return run;
}

function klippyBatchOnce(caseDir: string, dicts: Dicts): { run: KlippyBatch; dumps: Map<string, Buffer> } {
  const root = klippyRoot();
  const serial = join(caseDir, "out.serial");
  const logFile = join(caseDir, "klippy.log");
  const dictArgs = Object.entries(dicts).flatMap(([m, d]) => ["-d", m === "mcu" ? d : `${m}=${d}`]);
  const p = Bun.spawnSync([PYTHON, join(root, "klippy", "klippy.py"), join(caseDir, "printer.cfg"), "-i", join(caseDir, "input.gcode"), "-o", serial, "-v", ...dictArgs, "-l", logFile], {
    cwd: caseDir, stdout: "ignore", stderr: "pipe",
  });
  const stderrTail = p.stderr.toString().trimEnd().split("\n").slice(-3).join("\n");
  const dumps = new Map<string, Buffer>();
  for (const [m, d] of Object.entries(dicts)) {
    const out = m === "mcu" ? serial : `${serial}-${m}`;
    const dump = Bun.spawnSync([PYTHON, join(root, "klippy", "parsedump.py"), d, out], { stdout: "pipe", stderr: "ignore" });
    dumps.set(dumpName(m), dump.stdout);
  }
  return { run: { exitCode: p.exitCode ?? -1, signal: p.signalCode == null ? null : String(p.signalCode), stderrTail, log: existsSync(logFile) ? readFileSync(logFile, "utf8") : "" }, dumps };
}

export interface StepComparison {
  pass: boolean;
  /** compare_steps' last line: PASS/FAIL/ERROR <case>: … */
  summary: string;
  /** the global time offset it applied, in MCU ticks (null if it printed none) */
  offsetTicks: number | null;
  out: string;
}

/** compare_steps.py on a reference case dir and a candidate dir holding parsedump(-<mcu>).txt. */
export function compareSteps(caseDir: string, candidateDir: string, tolUs = 0): StepComparison {
  const dictDir = `${KLIPPER_REFERENCE}/dict`;
  const p = Bun.spawnSync([PYTHON, COMPARE_STEPS, caseDir, candidateDir, "--tol-us", String(tolUs), "--jobs", "1", "--dict-dir", dictDir], {
    stdout: "pipe", stderr: "pipe",
  });
  const out = p.stdout.toString() + p.stderr.toString();
  const lines = p.stdout.toString().trim().split("\n");
  const offset = /^offset: \S+ s = ([-+]?\d+) ticks/m.exec(out);
  return { pass: p.exitCode === 0, summary: lines[lines.length - 1] ?? "", offsetTicks: offset ? Number(offset[1]) : null, out };
}

/** Stepline's batch run of the same inputs, parsedumped into `outDir` like klippyBatchCase. */
export async function steplineBatchCase(outDir: string, config: string, gcode: string, dicts: Dicts): Promise<BatchResult> {
  mkdirSync(outDir, { recursive: true });
  const serial = join(outDir, "out.serial");
  const result = await runBatch({ config, input: gcode, output: serial, dicts, respond: () => {} });
  for (const [m, d] of Object.entries(dicts)) {
    const out = m === "mcu" ? serial : `${serial}-${m}`;
    const dumper = new ParseDumper(DataDictionary.fromJson(readFileSync(d, "utf8")), (t) => void chunks.push(t));
    const chunks: Uint8Array[] = [];
    if (existsSync(out)) dumper.push(readFileSync(out));
    dumper.end();
    writeFileSync(join(outDir, dumpName(m)), Buffer.concat(chunks));
  }
  return result;
}

export interface OracleComparison extends StepComparison {
  klippy: KlippyBatch;
  stepline: BatchResult;
}

/** Runs klippy and Stepline in batch mode on config + gcode under `workDir` and compares their steps. */
export async function compareWithKlippy(workDir: string, config: string, gcode: string, dicts: Dicts, tolUs = 0): Promise<OracleComparison> {
  const klippy = klippyBatchCase(join(workDir, "klippy"), config, gcode, dicts);
  const stepline = await steplineBatchCase(join(workDir, "stepline"), config, gcode, dicts);
  return { ...compareSteps(join(workDir, "klippy"), join(workDir, "stepline"), tolUs), klippy, stepline };
}
