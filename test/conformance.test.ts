// Step-for-step conformance of `stepline batch` with Klipper's batch mode:
// reference/tools/conformance.py runs each case (G-code -> MCU bytes ->
// parsedump) and compares every step of every stepper with Klipper's (50 us,
// one global offset). The 57-minute print (sliced_ender3v2_example002_full,
// 13.9 M steps, a 0.4 GB comparison) runs only with STEPLINE_FULL=1.
import { SHARED_REFERENCE } from "./support/reference.ts";
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const REF = `${SHARED_REFERENCE}`;
const CASES = join(REF, "klipper", "cases");
const TOOL = join(REF, "tools", "conformance.py");
const RUNNER = join(import.meta.dir, "toolhead", "conformance-run.ts");

const REQUIRED = [
  "tk_move_cartesian", "tk_move_corexy", "tk_delta", "tk_extruders", "tk_pressure_advance", "tk_gcode_arcs",
  "tk_manual_stepper", "tk_input_shaper",
  "cfg_ender3v2_motion", "cfg_voron2_250_motion", "cfg_ratrig_vminion_motion", "cfg_skr_pico_motion", "cfg_octopus_pro_h723_motion",
  "sliced_ender3v2_example002",
  // beyond the required set
  "tk_bed_mesh", "tk_exclude_object", "tk_commands", "tk_generic_cartesian_h723", "tk_linuxtest",
];
const SLOW = ["sliced_ender3v2_example002_full"];
const full = process.env.STEPLINE_FULL === "1";
// The comparison tools are Python (stdlib only) and live next to the reference data
const haveRef = existsSync(TOOL) && existsSync(CASES) && Bun.which("python3") !== null;

function conformance(cases: string[]): { code: number; out: string } {
  const work = mkdtempSync(join(tmpdir(), "stepline-conf-"));
  try {
    const cmd = `${process.execPath} ${RUNNER} {cfg} {gcode} {outdir} {dictargs}`;
    const p = Bun.spawnSync(["python3", TOOL, "--cases", CASES, "--run", cmd, "--only", cases.join(","), "--timeout", "600"], {
      cwd: work, stdout: "pipe", stderr: "pipe", env: { ...process.env, TMPDIR: work },
    });
    return { code: p.exitCode ?? -1, out: p.stdout.toString() + p.stderr.toString() };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

describe.skipIf(!haveRef)("conformance with Klipper's batch output", () => {
  for (const name of [...REQUIRED, ...(full ? SLOW : [])]) {
    test(name, () => {
      const { code, out } = conformance([name]);
      const line = out.split("\n").find((l) => l.includes(` ${name}:`)) ?? out;
      expect(line).toStartWith(`PASS ${name}:`);
      expect(code).toBe(0);
    }, 600_000);
  }
});

describe.skipIf(!existsSync(CASES))("print time at exit matches Klipper's log", () => {
  // klippy logs "Exiting (print time X)" when its input ends; meta.json keeps it
  for (const name of [...REQUIRED, ...(full ? SLOW : [])]) {
    test(name, async () => {
      const { runBatch } = await import("../src/batch/run.ts");
      const dir = join(CASES, name);
      const meta = JSON.parse(await Bun.file(join(dir, "meta.json")).text()) as {
        klippy_print_time_s: number;
        dicts: Record<string, string>;
      };
      const dicts: Record<string, string> = {};
      for (const [mcu, dict] of Object.entries(meta.dicts)) dicts[mcu] = join(REF, "klipper", "dict", dict);
      const work = mkdtempSync(join(tmpdir(), "stepline-exit-"));
      try {
        const res = await runBatch({
          config: join(dir, "printer.cfg"), input: join(dir, "input.gcode"), output: join(work, "out.serial"), dicts, respond: () => {},
        });
        expect(res.error).toBeNull();
        expect(res.printTime.toFixed(3)).toBe(meta.klippy_print_time_s.toFixed(3));
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }, 120_000);
  }
});
