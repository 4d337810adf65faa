// Starting the web API for a run mode: the components this binary serves (the core ones plus
// files, auth, … as they join) on one port, fronting whichever Host the run mode has.
import type { Host } from "../core/host.ts";
import { coreComponents } from "../api/core-components.ts";
import type { ApiLog } from "../api/endpoint.ts";
import { createFilesComponent, type FileManager, type FilesComponent } from "../api/files/index.ts";
import { createOctoprintComponent } from "../api/octoprint/index.ts";
import { startApiServer, type ApiServer } from "../api/server.ts";

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

/** The running web API and its file manager (for the doors that store jobs: Cura). */
export interface WebApi extends ApiServer {
  fileManager: FileManager;
}

export async function startWebApi(opts: WebApiOptions): Promise<WebApi> {
  let listen = { host: opts.hostname, port: opts.port };
  let files: FilesComponent | null = null;
  const server = await startApiServer({
    host: opts.host,
    dataDir: opts.dataDir,
    port: opts.port,
    hostname: opts.hostname,
    webDir: opts.webDir,
    log: opts.log,
    components: [
      ...coreComponents({ allowPowerControl: opts.allowPowerControl, listen: () => listen }),
      (ctx) => (files = createFilesComponent(ctx)),
      (ctx) => createOctoprintComponent(ctx, files!.fileManager),
    ],
  });
  listen = { host: opts.hostname, port: server.port };
  return { ...server, fileManager: files!.fileManager };
}
