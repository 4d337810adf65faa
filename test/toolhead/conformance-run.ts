// Candidate command for reference/tools/conformance.py: run `stepline batch` on a
// case, then `stepline parsedump` on every MCU's output, writing parsedump.txt
// (main MCU) and parsedump-NAME.txt (others) into OUTDIR.
// usage: bun test/toolhead/conformance-run.ts CFG GCODE OUTDIR -d DICT [-d NAME=DICT ...]
import { openSync, closeSync } from "node:fs";
import { join } from "node:path";
import { STEPLINE_MAIN } from "../support/cli.ts";

const [cfg, gcode, outdir, ...dictArgs] = process.argv.slice(2);
if (!cfg || !gcode || !outdir) {
  console.error("usage: conformance-run.ts CFG GCODE OUTDIR -d DICT [-d NAME=DICT ...]");
  process.exit(2);
}
const bun = process.execPath;

function run(args: string[], stdoutPath?: string): void {
  const out = stdoutPath ? openSync(stdoutPath, "w") : "inherit";
  try {
    const p = Bun.spawnSync([bun, STEPLINE_MAIN, ...args], { stdout: out, stderr: "inherit" });
    if (p.exitCode !== 0) {
      console.error(`stepline ${args[0]} failed with exit code ${p.exitCode}`);
      process.exit(1);
    }
  } finally {
    if (typeof out === "number") closeSync(out);
  }
}

const serial = join(outdir, "out.serial");
run(["batch", cfg, "-i", gcode, "-o", serial, ...dictArgs], join(outdir, "batch.log"));
for (let i = 0; i < dictArgs.length; i++) {
  if (dictArgs[i] !== "-d") continue;
  const d = dictArgs[++i]!;
  const eq = d.indexOf("=");
  if (eq > 0) run(["parsedump", d.slice(eq + 1), `${serial}-${d.slice(0, eq)}`], join(outdir, `parsedump-${d.slice(0, eq)}.txt`));
  else run(["parsedump", d, serial], join(outdir, "parsedump.txt"));
}
