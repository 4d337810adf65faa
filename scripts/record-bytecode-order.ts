// Records scripts/appliance.order, the profile `bun build --bytecode-order` lays the executable's
// bytecode out by (scripts/build.sh): the functions a start of the appliance uses go first, together,
// so the executable reads fewer of its own pages (idle RSS 62.3 → 60.6 MiB, bench:appliance).
// The profile holds hashes of functions' syntax, so it stays useful as the code changes; record it
// again when much of the start-up path has changed.
// Usage: bun run record:bytecode-order
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAppliance, waitUntilReady } from "./lib/appliance.ts";
import { buildExecutable } from "./lib/executable.ts";

const ORDER_FILE = join(import.meta.dir, "appliance.order");
// What a dashboard asks for first, so its handlers are in the profile too.
const DASHBOARD_FIRST_CALLS = ["/printer/info", "/printer/objects/list", "/printer/objects/query?toolhead&heater_bed&extruder&print_stats", "/server/files/list"];

const exe = buildExecutable();
const dir = mkdtempSync(join(tmpdir(), "stepline-order-"));
const recorded = join(dir, "run.order");
const app = startAppliance(exe.path, dir, { env: { BUN_BYTECODE_ORDER_OUT: recorded }, stderr: "inherit" });
try {
  await waitUntilReady(app);
  for (const path of DASHBOARD_FIRST_CALLS) {
    const r = await fetch(app.base + path);
    if (!r.ok) throw new Error(`GET ${path}: HTTP ${r.status}`);
    await r.arrayBuffer();
  }
  // The profile is written as the process exits.
  app.proc.kill("SIGTERM");
  const code = await app.proc.exited;
  if (code !== 0) throw new Error(`stepline exited with ${code} on SIGTERM`);
  // A copy, not a rename: the temp folder may be on another file system.
  copyFileSync(recorded, ORDER_FILE);
  console.log(`record-bytecode-order: wrote ${ORDER_FILE}`);
} finally {
  app.proc.kill("SIGTERM");
  await app.proc.exited;
  exe.remove();
  rmSync(dir, { recursive: true, force: true });
}
