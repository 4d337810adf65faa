// The built-in virtual printer as a live Host on a temp data folder (heaters' thermal time ×10, idle
// timeout 10 min): what the Host tests and the web API tests that print stand on.
import { type LiveHost, startLiveHost } from "../../src/live/host.ts";
import type { LiveLog } from "../../src/live/log-file.ts";
import { ensureDataDirs, virtualPrinterConfig, virtualPrinterHardware } from "../../src/live/virtual-printer/index.ts";
import { TempDir } from "./temp-dir.ts";

export const QUIET_LOG: LiveLog = { info: () => {}, warn: () => {}, error: () => {} };

export interface VirtualHost {
  host: LiveHost;
  /** The data folder (config/, gcodes/, logs/, database/), removed by close(). */
  tmp: TempDir;
  gcodesDir: string;
  /** Stops the printer and removes the data folder. */
  close(): Promise<void>;
}

export interface VirtualHostOptions {
  log?: LiveLog;
  /** Files written into the data folder before the printer starts (path relative to it → text). */
  seed?: Record<string, string>;
}

/** Start the virtual printer in a new temp data folder named `prefix…`; resolves once it is ready. */
export async function startVirtualHost(prefix: string, opts: VirtualHostOptions = {}): Promise<VirtualHost> {
  const tmp = new TempDir(prefix);
  const dirs = ensureDataDirs(tmp.path);
  for (const [rel, text] of Object.entries(opts.seed ?? {})) tmp.write(rel, text);
  let live: Awaited<ReturnType<typeof startLiveHost>>;
  try {
    live = await startLiveHost({
      configText: virtualPrinterConfig({ gcodesDir: dirs.gcodes, idleTimeout: 600, thermalTimeScale: 10 }),
      dataDir: tmp.path,
      log: opts.log ?? QUIET_LOG,
      board: { hardware: virtualPrinterHardware({ thermalTimeScale: 10 }), logCommands: false },
    });
  } catch (e) {
    tmp.remove();
    throw e;
  }
  return {
    host: live.host,
    tmp,
    gcodesDir: dirs.gcodes,
    async close() {
      await live.stop();
      tmp.remove();
    },
  };
}
