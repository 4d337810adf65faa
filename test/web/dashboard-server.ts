// The real stack the dashboard tests run against: the built-in virtual printer (faster thermal
// plant) behind the LiveHost, the web API on 127.0.0.1 at a free port with its core and file
// components, and the dashboard served at "/" — as the appliance wires them.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { coreComponents } from "../../src/api/core-components.ts";
import type { ApiLog } from "../../src/api/endpoint.ts";
import { createFilesComponent } from "../../src/api/files/index.ts";
import { startApiServer, type ApiServer } from "../../src/api/server.ts";
import { ensureDataDirs, virtualPrinterConfig, virtualPrinterHardware } from "../../src/live/virtual-printer/index.ts";
import { startLiveHost } from "../../src/live/host.ts";
import { dashboardRoutes } from "../../src/web/dashboard.ts";
import { TempDir } from "../support/temp-dir.ts";
import { solidPng } from "../api/files/slicer-samples.ts";

const TIME_SCALE = 10;

export interface DashboardServer {
  url: string;
  dataDir: string;
  gcodesDir: string;
  logs: string[];
  close(): Promise<void>;
}

/**
 * A webcam as Moonraker configures one ([webcam NAME] in moonraker.conf); its snapshot is a PNG in
 * the config root, so the page loads a real image from the same server.
 */
const WEBCAM_CONF = `[webcam bed]
service: mjpegstreamer-adaptive
snapshot_url: /server/files/config/webcam-snapshot.png
`;

export async function startDashboardServer(): Promise<DashboardServer> {
  const tmp = new TempDir("stepline-web-");
  const dirs = ensureDataDirs(tmp.path);
  tmp.write("config/moonraker.conf", WEBCAM_CONF);
  writeFileSync(join(tmp.path, "config", "webcam-snapshot.png"), solidPng(64, 48, [40, 160, 90]));
  const logs: string[] = [];
  const log: ApiLog = { info: (m) => logs.push(m), warn: (m) => logs.push(`WARN ${m}`), error: (m) => logs.push(`ERROR ${m}`) };
  const live = await startLiveHost({
    configText: virtualPrinterConfig({ gcodesDir: dirs.gcodes, thermalTimeScale: TIME_SCALE }),
    dataDir: tmp.path,
    log,
    board: { hardware: virtualPrinterHardware({ thermalTimeScale: TIME_SCALE }), logCommands: false },
  });
  let api: ApiServer | null = null;
  try {
    api = await startApiServer({
      host: live.host,
      dataDir: tmp.path,
      port: 0,
      hostname: "127.0.0.1",
      log,
      components: [
        ...coreComponents({ listen: () => ({ host: "127.0.0.1", port: api?.port ?? 0 }), allowPowerControl: false }),
        (ctx) => createFilesComponent(ctx, { watch: false }),
      ],
      builtinUi: dashboardRoutes(),
    });
  } catch (e) {
    await live.stop();
    tmp.remove();
    throw e;
  }
  const server = api;
  return {
    url: server.url,
    dataDir: tmp.path,
    gcodesDir: dirs.gcodes,
    logs,
    async close() {
      await server.stop();
      await live.stop();
      tmp.remove();
    },
  };
}
