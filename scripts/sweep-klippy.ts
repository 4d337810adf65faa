// Every example printer config of Klipper's printers.test × move.gcode through real klippy (the
// reference tarball) and Stepline's batch mode, compared step by step at 0 µs. Prints one line per
// config and the pass count. Usage: bun scripts/sweep-klippy.ts [NAME_FILTER]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { klippyMissing } from "./lib/klippy-oracle.ts";
import { sweepConfigs, sweepOne } from "./lib/klippy-sweep.ts";

const missing = klippyMissing();
if (missing) {
  console.error(`sweep-klippy: ${missing}`);
  process.exit(2);
}
const filter = process.argv[2] ?? "";
const configs = sweepConfigs().filter((c) => c.name.includes(filter));
const work = mkdtempSync(join(tmpdir(), "stepline-sweep-klippy-"));
let pass = 0;
try {
  for (const c of configs) {
    const r = await sweepOne(work, c);
    const ok = r.pass && r.offsetTicks === 0 && r.klippy.exitCode === 0 && r.stepline.result === "exit";
    if (ok) pass++;
    const why = r.pass ? `klippy exit ${r.klippy.exitCode}, stepline ${r.stepline.result}${r.stepline.error ? `: ${r.stepline.error}` : ""}, offset ${r.offsetTicks}` : r.summary;
    console.log(`${ok ? "PASS" : "FAIL"} ${c.name}${ok ? "" : `: ${why}`}`);
    rmSync(join(work, c.name), { recursive: true, force: true });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`sweep-klippy: ${pass}/${configs.length} configs match klippy at 0 us`);
process.exit(pass === configs.length ? 0 : 1);
