// Starting the web API for a run mode: the components this binary serves (the core ones plus
// files, auth, … as they join) on one port, fronting whichever Host the run mode has.
import type { Host } from "../core/host.ts";
import { coreComponents } from "../api/core-components.ts";
import type { ApiLog } from "../api/endpoint.ts";
import { startApiServer, type ApiServer } from "../api/server.ts";
import { dashboardRoutes } from "../web/dashboard.ts";

export const DEFAULT_API_PORT = 7125;

export interface WebApiOptions {
  host: Host;
  dataDir: string;
  port: number;
  hostname: string;
  webDir?: string;
  allowPowerControl: boolean;
  log: ApiLog;
}

export async function startWebApi(opts: WebApiOptions): Promise<ApiServer> {
  let listen = { host: opts.hostname, port: opts.port };
  const server = await startApiServer({
    host: opts.host,
    dataDir: opts.dataDir,
    port: opts.port,
    hostname: opts.hostname,
    webDir: opts.webDir,
    // Without a Mainsail/Fluidd folder, the built-in dashboard answers at "/"
    builtinUi: opts.webDir ? undefined : dashboardRoutes(),
    log: opts.log,
    components: coreComponents({ allowPowerControl: opts.allowPowerControl, listen: () => listen }),
  });
  listen = { host: opts.hostname, port: server.port };
  return server;
}
