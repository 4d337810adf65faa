// The web API as `stepline run` serves it (src/cli/web-api.ts), fronting the built-in virtual
// printer's live Host, on 127.0.0.1 and a free port, with its data folder in a temp dir; optionally
// with Cura's door (its own port then a free one too, mDNS as the test says).
import type { HostStateInfo } from "../../src/core/host.ts";
import { ensureDataDirs, virtualPrinterConfig, virtualPrinterHardware } from "../../src/live/virtual-printer/index.ts";
import type { CuraDoorOptions } from "../../src/cura/component.ts";
import { startWebApi, type WebApi } from "../../src/cli/web-api.ts";
import { type LiveHost, startLiveHost } from "../../src/live/host.ts";
import { TempDir } from "../support/temp-dir.ts";

export interface ApiRig {
  api: WebApi;
  host: LiveHost;
  tmp: TempDir;
  dirs: ReturnType<typeof ensureDataDirs>;
  logLines: string[];
  stop(): Promise<void>;
}

export interface ApiRigOptions {
  webDir?: string;
  allowPowerControl?: boolean;
  /** Cura's door (off when absent). */
  cura?: CuraDoorOptions;
  /** Files written into the data folder before the start (path under it → text), e.g. config/moonraker.conf. */
  seed?: Record<string, string>;
}

export async function startApiRig(opts: ApiRigOptions = {}): Promise<ApiRig> {
  const tmp = new TempDir("stepline-api-");
  const dirs = ensureDataDirs(tmp.path);
  for (const [rel, text] of Object.entries(opts.seed ?? {})) tmp.write(rel, text);
  const logLines: string[] = [];
  const log = { info: (m: string) => logLines.push(m), warn: (m: string) => logLines.push(m), error: (m: string) => logLines.push(m) };
  const live = await startLiveHost({
    configText: virtualPrinterConfig({ gcodesDir: dirs.gcodes, idleTimeout: 600, thermalTimeScale: 10 }),
    dataDir: tmp.path,
    log,
    board: { hardware: virtualPrinterHardware({ thermalTimeScale: 10 }), logCommands: false },
  });
  const api = await startWebApi({
    host: live.host,
    dataDir: tmp.path,
    port: 0,
    hostname: "127.0.0.1",
    webDir: opts.webDir,
    allowPowerControl: opts.allowPowerControl ?? false,
    log,
    cura: opts.cura,
  });
  return {
    api,
    host: live.host,
    tmp,
    dirs,
    logLines,
    async stop() {
      await api.stop();
      await live.stop();
      tmp.remove();
    },
  };
}

/** Resolves once klippy is ready (at once when it is). */
export function untilReady(host: LiveHost, ms = 30_000): Promise<HostStateInfo> {
  if (host.state().state === "ready") return Promise.resolve(host.state());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`printer not ready: ${JSON.stringify(host.state())}`)), ms);
    const off = host.onStateChange((s) => {
      if (s.state !== "ready") return;
      clearTimeout(timer);
      off();
      resolve(s);
    });
  });
}

/** Poll `probe` every 100 ms until it returns a value (not undefined); fails after `ms`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}
