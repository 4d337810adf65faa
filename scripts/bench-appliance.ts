// Bench: the appliance as it runs on a Pi — the compiled executable (scripts/build.sh, this machine's
// CPU), `stepline run` on the virtual printer with its web API: time and CPU from start to the web API
// answering with klippy ready, and the idle resident memory 3 s later, split into the pages read from
// the executable (Bun's runtime and the bundled code; the kernel can drop and re-read them) and the
// process's own (heap, JIT code). Median of 5 runs.
// Usage: bun run bench:appliance
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildExecutable } from "./lib/executable.ts";
import { startAppliance, waitUntilReady } from "./lib/appliance.ts";
import { median, procCpuSeconds, residentMiB } from "./lib/measure.ts";

const RUNS = 5;

const exe = buildExecutable();
const readyMs: number[] = [], readyCpuMs: number[] = [], rss: number[] = [], fileMiB: number[] = [], anonMiB: number[] = [];
try {
  for (let i = 0; i < RUNS; i++) {
    const dir = mkdtempSync(join(tmpdir(), "stepline-bench-run-"));
    const t0 = performance.now();
    const app = startAppliance(exe.path, dir);
    const { proc } = app;
    try {
      await waitUntilReady(app);
      readyMs.push(performance.now() - t0);
      readyCpuMs.push(procCpuSeconds(`/proc/${proc.pid}/stat`) * 1000);
      await Bun.sleep(3000);
      const mem = residentMiB(proc.pid);
      rss.push(mem.rss);
      fileMiB.push(mem.fileBacked);
      anonMiB.push(mem.own);
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  exe.remove();
}
const runs = (xs: number[], digits = 0) => xs.map((x) => x.toFixed(digits)).join(", ");
console.log(`appliance (${process.arch} executable, virtual printer + web API), median of ${RUNS}:`);
console.log(`  start to web API ready (klippy ready): ${median(readyMs).toFixed(0)} ms, ${median(readyCpuMs).toFixed(0)} ms CPU  (runs: ${runs(readyMs)})`);
console.log(`  idle RSS with the web API up:          ${median(rss).toFixed(1)} MiB  (runs: ${runs(rss, 1)})`);
console.log(`    read from the executable:            ${median(fileMiB).toFixed(1)} MiB; the process's own (heap, JIT code): ${median(anonMiB).toFixed(1)} MiB`);
