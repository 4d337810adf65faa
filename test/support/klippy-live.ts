// Real klippy (the reference tarball, see klippy-oracle.ts) running live against the virtual MCU on a
// socat pty (`stepline vmcu`, its own process so the test's event loop never delays it past klippy's
// homing timeouts), with its API server socket open: the oracle for what the web API asks a Host.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HardwareConfig } from "../../firmware-bridge/index.ts";
import { KlippyApi } from "./klippy-api.ts";
import { klippyMissing, klippyRoot, PYTHON } from "../../scripts/lib/klippy-oracle.ts";

/**
 * klippy and the board it drives are real-time peers (klippy shuts the MCU down with "Timer too
 * close" when either falls behind): on a loaded machine they run at a raised priority (root only;
 * nice runs the command unchanged otherwise).
 */
const URGENT = ["nice", "-n", "-10"];

/** Why live klippy cannot run here (null when it can). */
export function klippyLiveMissing(): string | null {
  const why = klippyMissing() ?? (Bun.which("socat") ? null : "socat is missing");
  if (why && process.env.CI) throw new Error(`live klippy oracle unavailable in CI: ${why}`);
  return why;
}

export interface KlippyLive {
  api: KlippyApi;
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
  const hardwareFile = join(dir, "klippy-hardware.json");
  writeFileSync(cfg, configText.replace(/^serial:.*$/m, `serial: ${tty}`));
  writeFileSync(hardwareFile, JSON.stringify(hardware));
  const main = join(import.meta.dir, "../../src/main.ts");
  const vmcu = Bun.spawn([...URGENT, process.execPath, main, "vmcu", "--pty", tty, "--hardware", hardwareFile], { stdout: "ignore", stderr: "pipe" });
  for (const deadline = Date.now() + 20_000; !existsSync(tty); await Bun.sleep(50)) {
    if (Date.now() > deadline || vmcu.exitCode !== null) {
      vmcu.kill();
      throw new Error(`stepline vmcu did not open ${tty}: ${await new Response(vmcu.stderr).text()}`);
    }
  }
  const klippy = Bun.spawn([...URGENT, PYTHON, join(klippyRoot(), "klippy", "klippy.py"), cfg, "-l", log, "-a", uds], { stdout: "ignore", stderr: "ignore" });
  const logTail = () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter((l) => !l.startsWith("Stats")).slice(-30).join("\n") : "(no log)");
  let api: KlippyApi | null = null;
  const live: KlippyLive = {
    get api() {
      if (!api) throw new Error("klippy API not connected");
      return api;
    },
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
      if (vmcu.exitCode === null) {
        vmcu.kill("SIGTERM");
        await vmcu.exited;
      }
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
