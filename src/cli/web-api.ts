// Starting the web API for a run mode: the components this binary serves (the core ones plus
// files, auth, … and Cura's door) on one port, fronting whichever Host the run mode has.
import { join } from "node:path";
import type { Host } from "../core/host.ts";
import { createAuthComponent } from "../api/auth/auth-component.ts";
import type { AuthOptions } from "../api/auth/authorizer.ts";
import { coreComponents } from "../api/core-components.ts";
import { Database } from "../api/database/database.ts";
import { createDatabaseComponent } from "../api/database/database-component.ts";
import type { ApiContext, ApiLog } from "../api/endpoint.ts";
import { createFilesComponent, type FilesComponent } from "../api/files/index.ts";
import { createOctoprintComponent } from "../api/octoprint/index.ts";
import { createHistoryComponent } from "../api/history/history-component.ts";
import { createJobQueueComponent } from "../api/job-queue/job-queue-component.ts";
import { startApiServer, type ApiServer } from "../api/server.ts";
import { type CuraComponent, type CuraDoorOptions, createCuraComponent } from "../cura/component.ts";
import type { CuraService } from "../cura/start.ts";
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
  /** Cura network printing (its own port, default 80, and the web port); absent = off. */
  cura?: CuraDoorOptions;
}

export interface WebApi extends ApiServer {
  /** Cura's door, when it is on. */
  cura: CuraService | null;
}

/** Why a port cannot be had, in the words a user can act on. */
function listenAdvice(code: string): string {
  if (code === "EACCES") return "EACCES: ports below 1024 need root or CAP_NET_BIND_SERVICE";
  if (code === "EADDRINUSE") return "EADDRINUSE: another program listens there";
  return code;
}

export async function startWebApi(opts: WebApiOptions): Promise<WebApi> {
  let listen = { host: opts.hostname, port: opts.port };
  // One database for the UIs' settings, auth, history and queue; its component is last, so it
  // flushes after the others closed
  const db = Database.open(join(opts.dataDir, "database"), opts.log);
  let files: FilesComponent | null = null;
  let cura: CuraComponent | null = null;
  const curaOpts = opts.cura;
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
      // Jobs carry their file's metadata (UIs show size, thumbnail, slicer estimate from it)
      (ctx) => createHistoryComponent(ctx, { db, metadata: async (f) => ({ ...(await files!.fileManager.metadata(f)) }) }),
      (ctx) => createJobQueueComponent(ctx, { db }),
      ...(curaOpts === undefined ? [] : [(ctx: ApiContext) => (cura = createCuraComponent(ctx, files!.fileManager, { hostname: opts.hostname, webPort: opts.port || undefined, ...curaOpts }))]),
      (ctx) => createDatabaseComponent(ctx, { db }),
    ],
  });
  listen = { host: opts.hostname, port: server.port };
  const door = (cura as CuraComponent | null)?.service ?? null;
  if (door?.listenError) {
    const wanted = curaOpts?.port ?? 80;
    opts.log.warn(
      `Cura: cannot listen on port ${wanted} (${listenAdvice(door.listenError)}); Cura's API is served on the web port ${server.port} instead — in Cura, "Add printer by IP" with <this machine's address>:${server.port}`,
    );
  }
  return { ...server, cura: door };
}
