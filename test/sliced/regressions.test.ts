// The minimised divergences of the sliced-print sweep, each run through real klippy (the oracle, at
// test time) and Stepline's batch mode: the same steps to the tick, no global offset.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { compareWithKlippy, klippyMissing } from "../../scripts/lib/klippy-oracle.ts";
import { sweepConfigs } from "../../scripts/lib/klippy-sweep.ts";
import { matches, whyNot } from "../../scripts/lib/sliced/run-case.ts";
import { TempDir } from "../support/temp-dir.ts";
import { REGRESSIONS } from "./regressions.ts";

describe.skipIf(klippyMissing() !== null)("sliced-print regressions: the same steps as klippy", () => {
  const tmp = new TempDir("stepline-sliced-regr-");
  afterAll(() => tmp.remove());
  const configs = new Map(sweepConfigs().map((c) => [c.name, c]));
  REGRESSIONS.forEach((r, i) => {
    test(`${r.config}: ${r.name}`, async () => {
      const c = configs.get(r.config);
      expect(c).toBeDefined();
      if (!c || !existsSync(c.path)) return;
      const config = tmp.write(`${i}/case.cfg`, readFileSync(c.path, "utf8") + (r.appended ?? ""));
      const text = typeof r.gcode === "string" ? readFileSync(`${import.meta.dir}/cases/${r.gcode}`, "utf8") : `${r.gcode.join("\n")}\n`;
      const gcode = tmp.write(`${i}/case.gcode`, text);
      const cmp = await compareWithKlippy(`${tmp.path}/${i}/run`, config, gcode, c.dicts);
      expect(cmp.stepline.result).toBe(cmp.klippy.exitCode === 0 ? "exit" : "error_exit");
      expect(matches(cmp) ? "match" : whyNot(cmp)).toBe("match");
    }, 120_000);
  });
});
