// Motion pipeline benchmark: G-code -> MCU bytes for the 57-minute reference print
// (sliced_ender3v2_example002_full) in batch mode, Stepline (`stepline batch`) against real Klipper
// (klippy from the reference tarball, unpacked by scripts/lib/klippy.ts, on Debian's python3) on this
// machine, runs interleaved so both see the same load. Stepline runs as it ships, the executable
// scripts/build.sh makes (--source: `bun src/main.ts` instead). Prints CPU, wall and peak RSS of each run, the
// medians and the CPU ratio; the same with an empty input file (start-up and exit alone); and whether
// both produced the same MCU commands. Without klippy it says why and compares with meta.json's figures.
// usage: bun run bench:motion [--runs N] [--source]
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DataDictionary, ParseDumper } from "../src/protocol/index.ts";
import { klippyPy, klippyRoot, klippyUnavailable, PYTHON } from "./lib/klippy.ts";
import { buildExecutable } from "./lib/executable.ts";
import { median, type RunStats, timedSync } from "./lib/measure.ts";
import { SHARED_REFERENCE } from "./lib/reference.ts";

const CASE = `${SHARED_REFERENCE}/klipper/cases/sliced_ender3v2_example002_full`;
const DICT = `${SHARED_REFERENCE}/klipper/dict/stm32f103-serial.dict`;
const MAIN = join(import.meta.dir, "..", "src", "main.ts");

interface Meta {
  timings?: { user_s: number; sys_s: number; wall_s: number; max_rss_kb: number }[];
  klippy_print_time_s?: number;
}

type Host = "stepline" | "klippy";

const fromSource = process.argv.includes("--source");
const exe = fromSource ? null : buildExecutable();
const STEPLINE = exe ? [exe.path] : [process.execPath, MAIN];

function run(host: Host, input: string, out: string, dir: string): RunStats {
  if (host === "stepline") return timedSync([...STEPLINE, "batch", join(CASE, "printer.cfg"), "-i", input, "-o", out, "-d", DICT], "stepline batch");
  return timedSync([PYTHON, klippyPy(), join(CASE, "printer.cfg"), "-i", input, "-o", out, "-d", DICT, "-l", join(dir, "klippy.log")], "klippy", klippyRoot());
}

/** Klipper's parsedump text of a command stream, as lines. */
function dumpLines(dict: DataDictionary, file: string): string[] {
  const chunks: Uint8Array[] = [];
  const dumper = new ParseDumper(dict, (t) => void chunks.push(t));
  dumper.push(readFileSync(file));
  dumper.end();
  return Buffer.concat(chunks).toString().split("\n");
}

/** Same commands in the same order, or how they differ. */
function compareStreams(a: string, b: string): string {
  if (Buffer.compare(readFileSync(a), readFileSync(b)) === 0) return "byte-identical";
  const dict = DataDictionary.fromJson(readFileSync(DICT, "utf8"));
  const la = dumpLines(dict, a);
  const lb = dumpLines(dict, b);
  const moved = la.reduce((n, l, i) => n + (l === lb[i] ? 0 : 1), 0);
  const sameSet = la.length === lb.length && [...la].sort().join("\n") === [...lb].sort().join("\n");
  return sameSet
    ? `the same ${la.length} commands, ${moved} lines in a different order (frames differ)`
    : `DIFFERENT commands: ${la.length} vs ${lb.length} lines, ${moved} differ in place`;
}

const fmt = (r: RunStats) => `CPU ${r.cpu.toFixed(2)} s, wall ${r.wall.toFixed(2)} s, peak RSS ${(r.rssKb / 1024).toFixed(1)} MiB`;
const medianStats = (rs: RunStats[]): RunStats => ({
  cpu: median(rs.map((r) => r.cpu)), wall: median(rs.map((r) => r.wall)), rssKb: median(rs.map((r) => r.rssKb)),
});

const runsArg = process.argv.indexOf("--runs");
const runs = runsArg > 0 ? Math.max(1, Number(process.argv[runsArg + 1]) || 1) : 3;
const meta = JSON.parse(readFileSync(join(CASE, "meta.json"), "utf8")) as Meta;
const missing = klippyUnavailable();
const hosts: Host[] = missing ? ["stepline"] : ["stepline", "klippy"];
const dir = mkdtempSync(join(tmpdir(), "bench-motion-"));
try {
  const empty = join(dir, "empty.gcode");
  writeFileSync(empty, "");
  console.log(`case: sliced_ender3v2_example002_full (${meta.klippy_print_time_s ?? "?"} s of printing), ${runs} interleaved run(s) of ${hosts.join(" and ")}`);
  console.log(`stepline: ${exe ? `the built executable (${exe.path})` : "bun src/main.ts (--source)"}`);
  if (missing) console.log(`KLIPPY CANNOT RUN HERE: ${missing}; Stepline alone, compared with meta.json's recorded figures`);
  const full: Record<Host, RunStats[]> = { stepline: [], klippy: [] };
  const start: Record<Host, RunStats[]> = { stepline: [], klippy: [] };
  for (let i = 0; i < runs; i++) {
    // alternate which host goes first, so neither always runs on a warmer (or busier) machine
    const order = i % 2 ? [...hosts].reverse() : hosts;
    for (const h of order) {
      const r = run(h, join(CASE, "input.gcode"), join(dir, `${h}.serial`), dir);
      full[h].push(r);
      console.log(`  run ${i + 1} ${h.padEnd(8)} full:  ${fmt(r)}, ${statSync(join(dir, `${h}.serial`)).size} bytes`);
    }
    for (const h of order) {
      const r = run(h, empty, join(dir, `${h}-empty.serial`), dir);
      start[h].push(r);
      console.log(`  run ${i + 1} ${h.padEnd(8)} empty: ${fmt(r)}`);
    }
  }
  const s = medianStats(full.stepline);
  console.log(`\nmedians of ${runs}:`);
  console.log(`stepline: ${fmt(s)}; start-up alone (empty input): ${fmt(medianStats(start.stepline))}`);
  if (!missing) {
    const k = medianStats(full.klippy);
    console.log(`klippy:   ${fmt(k)}; start-up alone (empty input): ${fmt(medianStats(start.klippy))}`);
    const perRun = full.stepline.map((r, i) => (r.cpu / full.klippy[i]!.cpu).toFixed(3)).join(", ");
    console.log(`CPU ratio stepline/klippy (same machine, interleaved): ${(s.cpu / k.cpu).toFixed(3)} (per run: ${perRun})`);
    console.log(`wall ratio: ${(s.wall / k.wall).toFixed(3)}, peak RSS ratio: ${(s.rssKb / k.rssKb).toFixed(3)}`);
    console.log(`MCU command streams: ${compareStreams(join(dir, "stepline.serial"), join(dir, "klippy.serial"))}`);
  } else {
    const kl = meta.timings ?? [];
    if (kl.length) {
      const kCpu = median(kl.map((t) => t.user_s + t.sys_s));
      console.log(`klippy (meta.json, another machine and time): CPU ${kCpu.toFixed(2)} s, wall ${median(kl.map((t) => t.wall_s)).toFixed(2)} s; CPU ratio ${(s.cpu / kCpu).toFixed(3)} (not same-machine)`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  exe?.remove();
}
