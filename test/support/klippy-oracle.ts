// Real Klipper host (klippy at the reference commit) as a test oracle: unpacks the reference tarball
// once into a cache dir outside the repo, runs klippy's batch mode and parsedump.py, and compares step
// streams with the reference kit's compare_steps.py (tolerance in µs, 0 = to the tick).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { type BatchResult, runBatch } from "../../src/batch/run.ts";
import { DataDictionary, ParseDumper } from "../../src/protocol/index.ts";
import { KLIPPER_REFERENCE, SHARED_REFERENCE } from "./reference.ts";

/** Debian's python3; klippy's modules come from python3-{cffi,greenlet,jinja2,serial,markupsafe}. */
export const PYTHON = "/usr/bin/python3";
export const KLIPPY_TARBALL = `${KLIPPER_REFERENCE}/klippy-84104bbb.tar.gz`;
const COMPARE_STEPS = `${SHARED_REFERENCE}/tools/compare_steps.py`;

function runs(cmd: string[]): boolean {
  try {
    return Bun.spawnSync(cmd, { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
  } catch {
    return false;
  }
}

let missingReason: string | null | undefined;
/** Why the oracle cannot run here (null when it can). */
export function klippyMissing(): string | null {
  if (missingReason !== undefined) return missingReason;
  missingReason = !existsSync(KLIPPY_TARBALL)
    ? `${KLIPPY_TARBALL} not found`
    : !runs([PYTHON, "-c", "import serial, greenlet, cffi, jinja2, markupsafe"])
      ? `${PYTHON} lacks klippy's modules (apt-get install python3-cffi python3-greenlet python3-jinja2 python3-serial python3-markupsafe)`
      : !runs(["sh", "-c", "command -v gcc"])
        ? "gcc is missing (klippy compiles its C helper)"
        : null;
  if (missingReason && process.env.CI) throw new Error(`klippy oracle unavailable in CI: ${missingReason}`);
  if (missingReason) console.warn(`skipping klippy oracle tests: ${missingReason}`);
  return missingReason;
}

let unpacked: string | undefined;
/** Directory holding klippy/ (with its C helper built), unpacked once per tarball content. */
export function klippyRoot(): string {
  if (unpacked) return unpacked;
  const hash = createHash("sha256").update(readFileSync(KLIPPY_TARBALL)).digest("hex").slice(0, 12);
  const dir = join(tmpdir(), `stepline-klippy-${hash}-drain1`);
  if (!existsSync(join(dir, "klippy", "chelper", "c_helper.so"))) {
    // unpack and build beside, then rename: concurrent runs never see a half-built tree
    const work = `${dir}.tmp-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    const tar = Bun.spawnSync(["tar", "xzf", KLIPPY_TARBALL, "-C", work], { stderr: "pipe" });
    if (tar.exitCode !== 0) throw new Error(`unpacking ${KLIPPY_TARBALL}: ${tar.stderr.toString()}`);
    drainSerialAtExit(join(work, "klippy", "serialhdl.py"));
    const build = Bun.spawnSync([PYTHON, "-c", "import chelper; chelper.get_ffi()"], { cwd: join(work, "klippy"), stderr: "pipe" });
    if (build.exitCode !== 0) throw new Error(`building klippy's C helper: ${build.stderr.toString()}`);
    try {
      renameSync(work, dir);
    } catch {
      rmSync(work, { recursive: true, force: true }); // another process won the race
    }
  }
  unpacked = dir;
  return dir;
}

/**
 * klippy drops output its serial thread has not written yet when it exits (the reference kit's README:
 * "klippy can lose the tail of its output at exit"); the oracle lets that thread drain for 0.3 s first,
 * so the stream is what klippy queued. Nothing else of klippy changes.
 */
function drainSerialAtExit(serialhdl: string): void {
  const text = readFileSync(serialhdl, "utf8");
  const exit = "            self.ffi_lib.serialqueue_exit(self.serialqueue)\n";
  if (!text.includes(exit)) throw new Error(`${serialhdl}: serialqueue_exit call not found`);
  writeFileSync(serialhdl, text.replace(exit, `            import time; time.sleep(0.3)\n${exit}`));
}

/** MCU name -> dictionary path; "mcu" is the main MCU. */
export type Dicts = Record<string, string>;

/** The parsedump file name of an MCU, as the reference cases name them. */
export const dumpName = (mcu: string) => (mcu === "mcu" ? "parsedump.txt" : `parsedump-${mcu}.txt`);

export interface KlippyBatch {
  exitCode: number;
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
    cwd: caseDir, stdout: "ignore", stderr: "ignore",
  });
  const dumps = new Map<string, Buffer>();
  for (const [m, d] of Object.entries(dicts)) {
    const out = m === "mcu" ? serial : `${serial}-${m}`;
    const dump = Bun.spawnSync([PYTHON, join(root, "klippy", "parsedump.py"), d, out], { stdout: "pipe", stderr: "ignore" });
    dumps.set(dumpName(m), dump.stdout);
  }
  return { run: { exitCode: p.exitCode ?? -1, log: existsSync(logFile) ? readFileSync(logFile, "utf8") : "" }, dumps };
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
