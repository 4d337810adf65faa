// The compiled appliance (`stepline run` on the virtual printer with its web API) started in a temp
// data folder on a free loopback port, for the scripts that measure or record a real start.
import { join } from "node:path";
import type { Subprocess } from "bun";
import { freePort } from "./free-port.ts";

const READY_TIMEOUT_MS = 30_000;

export interface Appliance {
  proc: Subprocess<"ignore", "ignore", "ignore" | "inherit">;
  /** http://127.0.0.1:<port> */
  base: string;
}

export function startAppliance(exePath: string, dir: string, opts: { env?: Record<string, string>; stderr?: "ignore" | "inherit" } = {}): Appliance {
  const port = freePort();
  const proc = Bun.spawn([exePath, "run", "--data", join(dir, "data"), "--gcode-pty", join(dir, "printer"), "--port", String(port), "--host", "127.0.0.1"], {
    stdout: "ignore",
    stderr: opts.stderr ?? "ignore",
    env: { ...process.env, ...opts.env },
  });
  return { proc, base: `http://127.0.0.1:${port}` };
}

/** Resolves once the web API answers with klippy ready (polled every 5 ms: the benches time this). */
export async function waitUntilReady({ proc, base }: Appliance): Promise<void> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  for (;;) {
    const state = await fetch(`${base}/server/info`, { keepalive: false })
      .then(async (r) => ((await r.json()) as { result: { klippy_state: string } }).result.klippy_state)
      .catch(() => null);
    if (state === "ready") return;
    if (proc.exitCode !== null) throw new Error(`stepline exited (${proc.exitCode}) before it was ready`);
    if (performance.now() > deadline) throw new Error(`stepline was not ready within ${READY_TIMEOUT_MS / 1000} s`);
    await Bun.sleep(5);
  }
}
