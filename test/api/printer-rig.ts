// The web API as `stepline run` serves it (src/cli/web-api.ts), fronting the built-in virtual
// printer's live Host, on 127.0.0.1 and a free port, with its data folder in a temp dir; optionally
// with Cura's door (its own port then a free one too, mDNS as the test says).
import type { HostStateInfo } from "../../src/core/host.ts";
import { ensureDataDirs } from "../../src/live/virtual-printer/index.ts";
import type { CuraDoorOptions } from "../../src/cura/component.ts";
import { startWebApi, type WebApi } from "../../src/cli/web-api.ts";
import type { LiveHost } from "../../src/live/host.ts";
import type { TempDir } from "../support/temp-dir.ts";
import { startVirtualHost } from "../support/virtual-host.ts";

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
  const logLines: string[] = [];
  const log = { info: (m: string) => logLines.push(m), warn: (m: string) => logLines.push(m), error: (m: string) => logLines.push(m) };
  const live = await startVirtualHost("stepline-api-", { log, seed: opts.seed });
  const tmp = live.tmp;
  const dirs = ensureDataDirs(tmp.path);
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
      await live.close();
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
