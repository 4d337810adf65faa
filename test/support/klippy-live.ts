// Real klippy (the reference tarball, see klippy-oracle.ts) running live against a VirtualMcu on a
// socat pty, with its API server socket open: the oracle for everything the web API asks a Host.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PtyServer } from "../../firmware-bridge/pty.ts";
import { type HardwareConfig, VirtualMcu } from "../../firmware-bridge/index.ts";
import { KlippyApi } from "./klippy-api.ts";
import { klippyMissing, klippyRoot, PYTHON } from "./klippy-oracle.ts";

/** Why live klippy cannot run here (null when it can). */
export function klippyLiveMissing(): string | null {
  const why = klippyMissing() ?? (Bun.which("socat") ? null : "socat is missing");
  if (why && process.env.CI) throw new Error(`live klippy oracle unavailable in CI: ${why}`);
  return why;
}

export interface KlippyLive {
  api: KlippyApi;
  vmcu: VirtualMcu;
  /** klippy's log file. */
  log: string;
  /** The last lines of klippy's log (for failure messages). */
  logTail(): string;
  /** Wait until klippy answers `info` with state ready (reconnecting the API socket as needed). */
  waitReady(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts klippy on `configText` (its `serial:` line replaced by the pty) in `dir`, the virtual MCU
 * simulating `hardware`; resolves once klippy reports ready.
 */
export async function startKlippyLive(dir: string, configText: string, hardware: HardwareConfig): Promise<KlippyLive> {
  const tty = join(dir, "klippy-tty");
  const uds = join(dir, "klippy-uds");
  const log = join(dir, "klippy.log");
  const cfg = join(dir, "klippy-printer.cfg");
  writeFileSync(cfg, configText.replace(/^serial:.*$/m, `serial: ${tty}`));
  const vmcu = new VirtualMcu({ hardware });
  const pty = new PtyServer(vmcu, { path: tty });
  await pty.start();
  vmcu.start();
  const klippy = Bun.spawn([PYTHON, join(klippyRoot(), "klippy", "klippy.py"), cfg, "-l", log, "-a", uds], { stdout: "ignore", stderr: "ignore" });
  const logTail = () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter((l) => !l.startsWith("Stats")).slice(-30).join("\n") : "(no log)");
  let api: KlippyApi | null = null;
  const live: KlippyLive = {
    get api() {
      if (!api) throw new Error("klippy API not connected");
      return api;
    },
    vmcu,
    log,
    logTail,
    async waitReady(timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (Date.now() > deadline || klippy.exitCode !== null) throw new Error(`klippy did not become ready:\n${logTail()}`);
        try {
          if (existsSync(uds)) {
            api ??= await KlippyApi.connect(uds);
            const info = await api.call<{ state: string; state_message: string }>("info");
            if (info.state === "ready") return;
            if (info.state === "error") throw new Error(`klippy error: ${info.state_message}\n${logTail()}`);
          }
        } catch (e) {
          if (String(e).includes("klippy error")) throw e;
          // klippy is (re)starting: its API socket comes and goes
          api?.close();
          api = null;
        }
        await Bun.sleep(200);
      }
    },
    async stop() {
      api?.close();
      if (klippy.exitCode === null) {
        klippy.kill("SIGTERM");
        await klippy.exited;
      }
      vmcu.stop();
      await pty.stop();
    },
  };
  try {
    await live.waitReady();
  } catch (e) {
    await live.stop();
    throw e;
  }
  return live;
}
