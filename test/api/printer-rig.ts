// The web API as `stepline run` serves it (src/cli/web-api.ts), fronting the built-in virtual
// printer's live Host, on 127.0.0.1 and a free port, with its data folder in a temp dir.
import { ensureDataDirs, virtualPrinterConfig, virtualPrinterHardware } from "../../src/live/virtual-printer/index.ts";
import type { ApiServer } from "../../src/api/server.ts";
import { startWebApi } from "../../src/cli/web-api.ts";
import { type LiveHost, startLiveHost } from "../../src/live/host.ts";
import { TempDir } from "../support/temp-dir.ts";

export interface ApiRig {
  api: ApiServer;
  host: LiveHost;
  dirs: ReturnType<typeof ensureDataDirs>;
  logLines: string[];
  stop(): Promise<void>;
}

export async function startApiRig(opts: { webDir?: string; allowPowerControl?: boolean } = {}): Promise<ApiRig> {
  const tmp = new TempDir("stepline-api-");
  const dirs = ensureDataDirs(tmp.path);
  const logLines: string[] = [];
  const log = { info: (m: string) => logLines.push(m), warn: (m: string) => logLines.push(m), error: (m: string) => logLines.push(m) };
  const live = await startLiveHost({
    configText: virtualPrinterConfig({ gcodesDir: dirs.gcodes, idleTimeout: 600, thermalTimeScale: 10 }),
    dataDir: tmp.path,
    log,
    board: { hardware: virtualPrinterHardware({ thermalTimeScale: 10 }), logCommands: false },
  });
  const api = await startWebApi({ host: live.host, dataDir: tmp.path, port: 0, hostname: "127.0.0.1", webDir: opts.webDir, allowPowerControl: opts.allowPowerControl ?? false, log });
  return {
    api,
    host: live.host,
    dirs,
    logLines,
    async stop() {
      await api.stop();
      await live.stop();
      tmp.remove();
    },
  };
}
