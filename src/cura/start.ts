// Starts Cura network printing: the Cura routes on port 80 (where the process may bind it; else on
// the web API's app, with one clear log line), the job queue on the Host, and the mDNS advertisement.
import type { Hono } from "hono";
import type { Host } from "../core/host.ts";
import type { FileManager } from "../api/files/index.ts";
import { fileManagerGcodeStore } from "./gcode-store.ts";
import { loadCuraIdentity, type CuraIdentity } from "./identity.ts";
import { JobQueue } from "./job-queue.ts";
import { type Advertiser, type InterfaceAddress, type Logger, startAdvertiser } from "./mdns-advertiser.ts";
import { ultimakerService } from "./mdns-records.ts";
import { materialStore } from "./materials.ts";
import { curaRoutes } from "./routes.ts";

export interface CuraOptions {
  host: Host;
  /** The data folder (gcodes/, database/). */
  dataDir: string;
  log: Logger;
  /** The web API's file manager: jobs are saved through it into gcodes/. */
  files: FileManager;
  /** Port for Cura's own listener: 80 (what Cura uses); 0 = any free port (tests); null = none. */
  port?: number | null;
  /** Listen address of that listener (default all). */
  hostname?: string;
  /** The web API's app and port: the Cura routes are also served there when port 80 cannot be had. */
  webApp?: Hono;
  webPort?: number;
  /** false = no mDNS; or the addresses to advertise on (default every up IPv4 interface). */
  advertise?: boolean | { addresses: () => InterfaceAddress[]; pollMs?: number };
  maxUploadBytes?: number;
  maxGcodeBytes?: number;
  keepFinishedMs?: number;
}

export interface CuraService {
  identity: CuraIdentity;
  app: Hono;
  queue: JobQueue;
  /** Port of Cura's own listener, or null when the routes are served on the web port only. */
  port: number | null;
  advertiser: Advertiser | null;
  stop(): Promise<void>;
}

const GiB = 1024 * 1024 * 1024;

export function startCura(o: CuraOptions): CuraService {
  const identity = loadCuraIdentity(o.dataDir);
  const queue = new JobQueue({ host: o.host, log: o.log, keepFinishedMs: o.keepFinishedMs });
  const maxUploadBytes = o.maxUploadBytes ?? GiB;
  const app = curaRoutes({
    host: o.host,
    identity,
    queue,
    store: fileManagerGcodeStore(o.files),
    materials: materialStore(o.dataDir),
    log: o.log,
    maxUploadBytes,
    maxGcodeBytes: o.maxGcodeBytes ?? 4 * GiB,
  });

  let server: ReturnType<typeof Bun.serve> | null = null;
  const wanted = o.port === undefined ? 80 : o.port;
  if (wanted !== null) {
    try {
      server = Bun.serve({ port: wanted, hostname: o.hostname ?? "0.0.0.0", fetch: app.fetch, maxRequestBodySize: maxUploadBytes + 1024 * 1024 });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      const where = o.webPort ? `on the web port ${o.webPort} only — in Cura add the printer by IP as <address>:${o.webPort}` : "nowhere else";
      o.log.warn(`Cura: cannot listen on port ${wanted} (${code}); serving the Cura API ${where}`);
    }
  }
  // Served on the web port either way: "Add by IP" with host:port works even when port 80 is ours.
  o.webApp?.route("/", app);

  const port = server?.port ?? null;
  const advertisedPort = port ?? o.webPort ?? 80;
  let advertiser: Advertiser | null = null;
  if (o.advertise !== false) {
    const custom = typeof o.advertise === "object" ? o.advertise : undefined;
    advertiser = startAdvertiser({
      host: { instance: identity.instance, hostLabel: identity.hostLabel, services: [ultimakerService(identity.name, advertisedPort)] },
      log: o.log,
      addresses: custom?.addresses,
      pollMs: custom?.pollMs,
    });
  }
  o.log.info(`Cura: printer ${identity.instance} (${identity.uuid})${port !== null ? ` on port ${port}` : ""}`);

  return {
    identity,
    app,
    queue,
    port,
    advertiser,
    async stop() {
      await advertiser?.stop();
      queue.close();
      await server?.stop(true);
    },
  };
}
