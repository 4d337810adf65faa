// Motion pipeline benchmark: G-code -> MCU bytes for the 57-minute reference
// print (sliced_ender3v2_example002_full), end to end in a child process
// (`stepline batch`), compared with Klipper's CPU time on the same case.
// Also measures this machine's speed with the same Python loop the reference
// recorded (calib_pyloop_5e6_cpu_s) when python3 is available, so the ratio can
// be normalised for a slower/busier machine.
// The same run with an empty input file is timed too: the share of startup (module loading,
// config, dictionary, connect, exit sequence).
// When a Klipper checkout (env STEPLINE_KLIPPER_SRC, default ../klipper-src beside the repo)
// runs here with its python deps, real Klipper (klippy in batch mode) is timed on the same
// case the same number of times: a same-machine CPU ratio. Otherwise only meta.json's figures.
// usage: bun run bench:motion [--runs N]
import { SHARED_REFERENCE } from "../test/support/reference.ts";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CASE = `${SHARED_REFERENCE}/klipper/cases/sliced_ender3v2_example002_full`;
const DICT = `${SHARED_REFERENCE}/klipper/dict/stm32f103-serial.dict`;
const MAIN = join(import.meta.dir, "..", "src", "main.ts");
const KLIPPER_SRC = process.env.STEPLINE_KLIPPER_SRC ?? join(import.meta.dir, "..", "..", "klipper-src");

interface Meta {
  timings?: { user_s: number; sys_s: number; wall_s: number; max_rss_kb: number; calib_pyloop_5e6_cpu_s?: number }[];
  klippy_print_time_s?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** CPU seconds of the reference's calibration loop on this machine (null without python3). */
function calibrate(): number | null {
  const code = "import time\nt=time.process_time()\ns=0\nfor i in range(5*10**6): s+=i\nprint(time.process_time()-t)";
  try {
    const p = Bun.spawnSync(["python3", "-c", code], { stdout: "pipe", stderr: "ignore" });
    if (p.exitCode !== 0) return null;
    return Number(p.stdout.toString().trim());
  } catch {
    return null;
  }
}

function runOnce(outDir: string, input = join(CASE, "input.gcode")): RunStats {
  const out = join(outDir, "out.serial");
  return timed([process.execPath, MAIN, "batch", join(CASE, "printer.cfg"), "-i", input, "-o", out, "-d", DICT], out, "stepline batch");
}

interface RunStats { wall: number; cpu: number; rssKb: number; bytes: number }

/** Time a child process; throws with its stderr tail if it fails. */
function timed(cmd: string[], out: string, what: string, cwd?: string): RunStats {
  const t0 = performance.now();
  const p = Bun.spawnSync(cmd, { cwd, stdout: "ignore", stderr: "pipe" });
  const wall = (performance.now() - t0) / 1000;
  if (p.exitCode !== 0) throw new Error(`${what} failed (${p.exitCode}): ${p.stderr.toString().slice(-2000)}`);
  const ru = p.resourceUsage;
  if (!ru) throw new Error("no resource usage from the child process");
  const cpu = (Number(ru.cpuTime.user) + Number(ru.cpuTime.system)) / 1e6;
  // maxRSS is reported in bytes
  return { wall, cpu, rssKb: Number(ru.maxRSS) / 1024, bytes: statSync(out).size };
}

/** A python that has klippy's modules (env STEPLINE_KLIPPER_PYTHON, else python3, else the system one). */
function klipperPython(): string | null {
  const candidates = process.env.STEPLINE_KLIPPER_PYTHON ? [process.env.STEPLINE_KLIPPER_PYTHON] : ["python3", "/usr/bin/python3"];
  for (const py of candidates) {
    try {
      const p = Bun.spawnSync([py, "-c", "import cffi, greenlet, serial, jinja2"], { stdout: "ignore", stderr: "ignore" });
      if (p.exitCode === 0) return py;
    } catch { /* not installed */ }
  }
  return null;
}

/** Real Klipper's host in batch mode on the case, or a reason why it can't run here. */
function runKlipper(outDir: string, python: string | null): RunStats | string {
  const klippy = join(KLIPPER_SRC, "klippy", "klippy.py");
  if (!existsSync(klippy)) return `no Klipper checkout at ${KLIPPER_SRC} (set STEPLINE_KLIPPER_SRC)`;
  if (!python) return "no python3 with klippy's modules (cffi, greenlet, pyserial, jinja2; set STEPLINE_KLIPPER_PYTHON)";
  const out = join(outDir, "klipper.serial");
  try {
    return timed([python, klippy, join(CASE, "printer.cfg"), "-i", join(CASE, "input.gcode"), "-o", out, "-d", DICT,
      "-l", join(outDir, "klippy.log")], out, "klippy", KLIPPER_SRC);
  } catch (e) {
    return `Klipper at ${KLIPPER_SRC} did not run with ${python}: ${(e as Error).message.split("\n").slice(-2).join(" ")}`;
  }
}

const runsArg = process.argv.indexOf("--runs");
const runs = runsArg > 0 ? Math.max(1, Number(process.argv[runsArg + 1]) || 1) : 3;
const meta = JSON.parse(readFileSync(join(CASE, "meta.json"), "utf8")) as Meta;
const kl = meta.timings ?? [];
if (!kl.length) throw new Error(`${CASE}/meta.json has no timings`);
const klCpu = median(kl.map((t) => t.user_s + t.sys_s));
const klWall = median(kl.map((t) => t.wall_s));
const klCalib = median(kl.map((t) => t.calib_pyloop_5e6_cpu_s ?? NaN).filter((x) => !Number.isNaN(x)));

const dir = mkdtempSync(join(tmpdir(), "bench-motion-"));
try {
  const results = [];
  for (let i = 0; i < runs; i++) results.push(runOnce(dir));
  // Startup alone (modules, config, dictionary, connect, exit): the same run with empty input
  const empty = join(dir, "empty.gcode");
  writeFileSync(empty, "");
  const startup = [];
  for (let i = 0; i < runs; i++) startup.push(runOnce(dir, empty));
  const wall = median(results.map((r) => r.wall));
  const cpu = median(results.map((r) => r.cpu));
  const rss = Math.max(...results.map((r) => r.rssKb));
  // Real Klipper here, interleaving nothing else: the same number of runs (stops at the first failure)
  const klHere: RunStats[] = [];
  let klSkip = "";
  const python = klipperPython();
  for (let i = 0; i < runs && !klSkip; i++) {
    const r = runKlipper(dir, python);
    if (typeof r === "string") klSkip = r; else klHere.push(r);
  }
  const calib = calibrate();
  console.log(`case: sliced_ender3v2_example002_full (${meta.klippy_print_time_s ?? "?"} s of printing), ${runs} run(s), medians`);
  console.log(`stepline: wall ${wall.toFixed(2)} s, CPU ${cpu.toFixed(2)} s (fastest run ${Math.min(...results.map((r) => r.cpu)).toFixed(2)} s), peak RSS ${(rss / 1024).toFixed(1)} MB, output ${results[0]!.bytes} bytes`);
  console.log(`  of which startup (empty input): CPU ${median(startup.map((r) => r.cpu)).toFixed(2)} s, peak RSS ${(Math.max(...startup.map((r) => r.rssKb)) / 1024).toFixed(1)} MB`);
  console.log(`klipper:  wall ${klWall.toFixed(2)} s, CPU ${klCpu.toFixed(2)} s, peak RSS ${(Math.max(...kl.map((t) => t.max_rss_kb)) / 1024).toFixed(1)} MB (reference meta.json)`);
  console.log(`CPU ratio stepline/klipper: ${(cpu / klCpu).toFixed(3)}`);
  if (calib !== null && Number.isFinite(klCalib))
    console.log(`machine calibration: python loop ${calib.toFixed(3)} s here vs ${klCalib.toFixed(3)} s at reference time; normalised CPU ratio ${((cpu / klCpu) * (klCalib / calib)).toFixed(3)}`);
  if (klHere.length) {
    const hereCpu = median(klHere.map((r) => r.cpu));
    console.log(`klipper here (${KLIPPER_SRC} with ${python}, ${klHere.length} run(s), medians): wall ${median(klHere.map((r) => r.wall)).toFixed(2)} s, CPU ${hereCpu.toFixed(2)} s (fastest ${Math.min(...klHere.map((r) => r.cpu)).toFixed(2)} s), peak RSS ${(Math.max(...klHere.map((r) => r.rssKb)) / 1024).toFixed(1)} MB`);
    console.log(`same-machine CPU ratio stepline/klipper: ${(cpu / hereCpu).toFixed(3)}`);
  } else {
    console.log(`klipper not run here: ${klSkip}; comparing against meta.json only`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
