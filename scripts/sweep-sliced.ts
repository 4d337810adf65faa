// Differential sweep on real sliced prints: every example printer config of Klipper's printers.test
// × N seeded cases (generated model sliced by CuraEngine for the printer's bed, plus generated slicer
// and macro G-code) through real klippy and Stepline's batch mode, compared step by step at 0 µs.
// Prints one line per case and matched/diverged counts per config; with --shrink, each divergence is
// shrunk to a short G-code that still diverges (printed, for a named regression test).
// Usage: bun scripts/sweep-sliced.ts [--cases N] [--seed S] [--shrink] [--keep] [NAME_FILTER...]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { klippyMissing } from "./lib/klippy-oracle.ts";
import { sweepConfigs } from "./lib/klippy-sweep.ts";
import { describeCase } from "./lib/sliced/cases.ts";
import { runSlicedCase, shrinkGcode } from "./lib/sliced/run-case.ts";
import { curaMissing } from "./lib/sliced/slice.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { cases: { type: "string", default: "2" }, seed: { type: "string", default: "1" }, shrink: { type: "boolean", default: false }, keep: { type: "boolean", default: false } },
});
const missing = klippyMissing() ?? curaMissing();
if (missing) {
  console.error(`sweep-sliced: ${missing}`);
  process.exit(2);
}
const configs = sweepConfigs().filter((c) => !positionals.length || positionals.some((f) => c.name.includes(f)));
const cases = Number(values.cases), seed0 = Number(values.seed);
const work = mkdtempSync(join(tmpdir(), "stepline-sweep-sliced-"));
const totals = { match: 0, diverge: 0, skip: 0 };
const diverged: string[] = [];
try {
  for (const c of configs) {
    const counts = { match: 0, diverge: 0, skip: 0 };
    for (let i = 0; i < cases; i++) {
      const seed = seed0 + i;
      let r;
      try {
        r = await runSlicedCase(work, c, seed);
      } catch (e) {
        r = { verdict: "skip" as const, summary: `harness error: ${(e as Error).message.split("\n")[0]}` };
      }
      counts[r.verdict]++;
      const what = r.case ? describeCase(r.case) : `seed ${seed}`;
      if (r.verdict !== "match") console.log(`  ${r.verdict.toUpperCase()} ${c.name} ${what}: ${r.summary}`);
      else if (r.comparison?.stepline.error) console.log(`  NOTE ${c.name} ${what}: both stopped on "${r.comparison.stepline.error}" (same steps up to there)`);
      if (r.verdict === "diverge") diverged.push(`${c.name} seed ${seed}`);
      if (r.verdict === "diverge" && values.shrink && r.built) {
        const lines = await shrinkGcode(join(work, `${c.name}-${seed}`), r.built.config, c.dicts, r.built.gcode, 120, (m) => console.log(`    shrink: ${m}`));
        console.log(`    minimal G-code (${lines.length} lines):\n${lines.map((l) => `      ${l}`).join("\n")}`);
        if (r.built.appended.trim()) console.log(`    appended config:\n${r.built.appended.trim().split("\n").map((l) => `      ${l}`).join("\n")}`);
      }
      if (!values.keep) rmSync(join(work, `${c.name}-${seed}`), { recursive: true, force: true });
    }
    for (const k of ["match", "diverge", "skip"] as const) totals[k] += counts[k];
    console.log(`${counts.diverge ? "FAIL" : "PASS"} ${c.name}: ${counts.match} matched, ${counts.diverge} diverged${counts.skip ? `, ${counts.skip} skipped` : ""}`);
  }
} finally {
  if (!values.keep) rmSync(work, { recursive: true, force: true });
  else console.log(`cases kept in ${work}`);
}
console.log(`sweep-sliced: ${configs.length} configs × ${cases} cases: ${totals.match} matched, ${totals.diverge} diverged, ${totals.skip} skipped`);
if (diverged.length) console.log(`diverged: ${diverged.join(", ")}`);
process.exit(totals.diverge === 0 && totals.skip === 0 ? 0 : 1);
