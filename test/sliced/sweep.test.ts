// Real sliced prints through klippy and Stepline's batch mode, compared step by step at 0 µs with no
// global offset: generated models sliced by CuraEngine for each printer's bed, with seeded slicer
// settings and the extra G-code slicers and macros emit. A few printers that once diverged (BLTouch +
// bed mesh, TMC boards, a [probe] + [bed_mesh] + TMC2209 bed slinger) plus a seeded sample of the rest.
// Every config × more cases: `bun scripts/sweep-sliced.ts`.
import { afterAll, describe, expect, test } from "bun:test";
import { klippyMissing } from "../../scripts/lib/klippy-oracle.ts";
import { sweepConfigs } from "../../scripts/lib/klippy-sweep.ts";
import { Rng } from "../../scripts/lib/random.ts";
import { describeCase } from "../../scripts/lib/sliced/cases.ts";
import { runSlicedCase } from "../../scripts/lib/sliced/run-case.ts";
import { curaMissing } from "../../scripts/lib/sliced/slice.ts";
import { TempDir } from "../support/temp-dir.ts";

const FIXED = ["printer-creality-ender3-v2-neo-2022.cfg", "generic-duet3-mini.cfg", "printer-prusa-mini-plus-2020.cfg"];
const SAMPLE = 15;
const SEED = 14;

const missing = klippyMissing() ?? curaMissing();
if (missing && process.env.CI) throw new Error(`sliced-print sweep unavailable in CI: ${missing}`);

describe.skipIf(missing !== null)("sliced prints: the same steps as klippy", () => {
  const tmp = new TempDir("stepline-sliced-");
  afterAll(() => tmp.remove());
  const all = sweepConfigs();
  const rng = new Rng(SEED);
  const rest = all.filter((c) => !FIXED.includes(c.name) && !/delta|winch|modix/.test(c.name));
  const sample = Array.from({ length: SAMPLE }, () => rest.splice(rng.int(0, rest.length - 1), 1)[0]!);
  for (const c of [...all.filter((c) => FIXED.includes(c.name)), ...sample]) {
    const seed = rng.int(1, 1000);
    test(`${c.name} seed ${seed}`, async () => {
      const r = await runSlicedCase(tmp.path, c, seed);
      if (r.case) console.log(`${c.name} ${describeCase(r.case)}`);
      expect(r.comparison?.klippy.exitCode).toBe(0);
      expect(r.verdict === "match" ? "match" : r.summary).toBe("match");
    }, 180_000);
  }
});
