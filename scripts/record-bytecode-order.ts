// Records scripts/appliance.order, the profile `bun build --bytecode-order` lays the executable's
// bytecode out by (scripts/build.sh): the functions a start of the appliance uses go first, together,
// so the executable reads fewer of its own pages (idle RSS 62.5 → 60.0 MiB, bench:appliance).
// The profile holds hashes of functions' syntax, so it stays useful as the code changes; record it
// again when much of the start-up path has changed.
// Usage: bun run record:bytecode-order
import { mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildExecutable } from "./lib/executable.ts";
import { freePort } from "./lib/free-port.ts";

const ORDER_FILE = join(import.meta.dir, "appliance.order");
const READY_TIMEOUT_MS = 30_000;

const exe = buildExecutable();
const dir = mkdtempSync(join(tmpdir(), "stepline-order-"));
const recorded = join(dir, "run.order");
try {
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = Bun.spawn(
    [exe.path, "run", "--data", join(dir, "data"), "--gcode-pty", join(dir, "printer"), "--port", String(port), "--host", "127.0.0.1"],
    { stdout: "ignore", stderr: "inherit", env: { ...process.env, BUN_BYTECODE_ORDER_OUT: recorded } },
  );
  const deadline = performance.now() + READY_TIMEOUT_MS;
  for (;;) {
    const state = await fetch(`${base}/server/info`)
      .then(async (r) => ((await r.json()) as { result: { klippy_state: string } }).result.klippy_state)
      .catch(() => null);
    if (state === "ready") break;
    if (proc.exitCode !== null) throw new Error(`stepline exited (${proc.exitCode}) before it was ready`);
    if (performance.now() > deadline) throw new Error(`stepline was not ready within ${READY_TIMEOUT_MS / 1000} s`);
    await Bun.sleep(20);
  }
  // What a dashboard asks for first, so its handlers are in the profile too.
  for (const path of ["/printer/info", "/printer/objects/list", "/printer/objects/query?toolhead&heater_bed&extruder&print_stats", "/server/files/list"]) {
    const r = await fetch(base + path);
    if (!r.ok) throw new Error(`GET ${path}: HTTP ${r.status}`);
    await r.arrayBuffer();
  }
  proc.kill("SIGTERM");
  if ((await proc.exited) !== 0) throw new Error(`stepline exited with ${proc.exitCode} on SIGTERM`);
  renameSync(recorded, ORDER_FILE);
  console.log(`record-bytecode-order: wrote ${ORDER_FILE}`);
} finally {
  exe.remove();
  rmSync(dir, { recursive: true, force: true });
}
