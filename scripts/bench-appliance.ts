// Bench: the appliance as it runs on a Pi — the compiled executable (scripts/build.sh, this machine's
// CPU), `stepline run` on the virtual printer with its web API: time from start to the web API
// answering with klippy ready, and the idle resident memory (VmRSS) 3 s later. Median of 3 runs.
// Usage: bun run bench:appliance
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
const RUNS = 3;
const arch = process.arch === "arm64" ? "arm64" : "x64";
const dist = mkdtempSync(join(tmpdir(), "stepline-bench-dist-"));
const built = Bun.spawnSync(["bash", join(ROOT, "scripts/build.sh"), arch], { env: { ...process.env, OUT_DIR: dist } });
if (built.exitCode !== 0) throw new Error(`build failed: ${built.stderr.toString()}`);
const binary = join(dist, `stepline-linux-${arch}`);

function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const readyMs: number[] = [];
const rssMiB: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const dir = mkdtempSync(join(tmpdir(), "stepline-bench-run-"));
  const port = freePort();
  const t0 = performance.now();
  const proc = Bun.spawn([binary, "run", "--data", join(dir, "data"), "--gcode-pty", join(dir, "printer"), "--port", String(port), "--host", "127.0.0.1"], { stdout: "ignore", stderr: "ignore" });
  try {
    for (;;) {
      const state = await fetch(`http://127.0.0.1:${port}/server/info`, { keepalive: false })
        .then(async (r) => ((await r.json()) as { result: { klippy_state: string } }).result.klippy_state)
        .catch(() => null);
      if (state === "ready") break;
      if (proc.exitCode !== null) throw new Error(`stepline exited (${proc.exitCode})`);
      await Bun.sleep(5);
    }
    readyMs.push(performance.now() - t0);
    await Bun.sleep(3000);
    const rss = readFileSync(`/proc/${proc.pid}/status`, "utf8").match(/^VmRSS:\s+(\d+) kB/m);
    rssMiB.push(Number(rss![1]) / 1024);
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}
rmSync(dist, { recursive: true, force: true });
console.log(`appliance (${arch} executable, virtual printer + web API), median of ${RUNS}:`);
console.log(`  start to web API ready (klippy ready): ${median(readyMs).toFixed(0)} ms  (runs: ${readyMs.map((x) => x.toFixed(0)).join(", ")})`);
console.log(`  idle RSS with the web API up:          ${median(rssMiB).toFixed(1)} MiB  (runs: ${rssMiB.map((x) => x.toFixed(1)).join(", ")})`);
