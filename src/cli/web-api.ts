// Starting the web API for a run mode: the components this binary serves (the core ones plus
// files, auth, … as they join) on one port, fronting whichever Host the run mode has.
import { join } from "node:path";
import type { Host } from "../core/host.ts";
import { createAuthComponent } from "../api/auth/auth-component.ts";
import type { AuthOptions } from "../api/auth/authorizer.ts";
import { coreComponents } from "../api/core-components.ts";
import { Database } from "../api/database/database.ts";
import { createDatabaseComponent } from "../api/database/database-component.ts";
import type { ApiLog } from "../api/endpoint.ts";
import { createFilesComponent, type FilesComponent } from "../api/files/index.ts";
import { createOctoprintComponent } from "../api/octoprint/index.ts";
import { createHistoryComponent } from "../api/history/history-component.ts";
import { createJobQueueComponent } from "../api/job-queue/job-queue-component.ts";
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
  /** Trusted clients, CORS domains, forced logins (defaults: loopback + own subnets, Moonraker's usual domains). */
  auth?: AuthOptions;
  log: ApiLog;
}

export async function startWebApi(opts: WebApiOptions): Promise<ApiServer> {
  let listen = { host: opts.hostname, port: opts.port };
  // One database for the UIs' settings, auth, history and queue; its component is last, so it
  // flushes after the others closed
  const db = Database.open(join(opts.dataDir, "database"), opts.log);
  let files: FilesComponent | null = null;
  const server = await startApiServer({
    host: opts.host,
    dataDir: opts.dataDir,
    port: opts.port,
    hostname: opts.hostname,
    webDir: opts.webDir,
    // Without a Mainsail/Fluidd folder, the built-in dashboard answers at "/"
    builtinUi: opts.webDir ? undefined : dashboardRoutes(),
    log: opts.log,
    components: [
      (ctx) => createAuthComponent(ctx, { db, auth: opts.auth }),
      ...coreComponents({ allowPowerControl: opts.allowPowerControl, listen: () => listen }),
      (ctx) => (files = createFilesComponent(ctx)),
      // OctoPrint's upload API for slicers, on the same file manager
      (ctx) => createOctoprintComponent(ctx, files!.fileManager),
      (ctx) => createHistoryComponent(ctx, { db }),
      (ctx) => createJobQueueComponent(ctx, { db }),
      (ctx) => createDatabaseComponent(ctx, { db }),
    ],
  });
  listen = { host: opts.hostname, port: server.port };
  return server;
}
