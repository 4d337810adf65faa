// Cura's door as a web API component ("cura"): started with the web API on its Host and file manager,
// its routes mounted on the web API's app (and on port 80 where it may bind it), stopped with it.
import type { ApiComponent, ApiContext } from "../api/endpoint.ts";
import type { FileManager } from "../api/files/index.ts";
import type { InterfaceAddress } from "./mdns-advertiser.ts";
import { type CuraService, startCura } from "./start.ts";

export interface CuraDoorOptions {
  /** Cura's own port: 80 (the only one Cura's discovery uses); 0 = a free one; null = the web port only. */
  port?: number | null;
  /** Listen address of Cura's own port (default every interface). */
  hostname?: string;
  /** The web port, advertised when Cura's own port is not up. */
  webPort?: number;
  /** false = no mDNS advertisement; or the addresses to advertise (default every up IPv4 interface). */
  advertise?: boolean | { addresses: () => InterfaceAddress[]; pollMs?: number };
}

export interface CuraComponent extends ApiComponent {
  service: CuraService;
}

export function createCuraComponent(ctx: ApiContext, files: FileManager, opts: CuraDoorOptions): CuraComponent {
  const service = startCura({ host: ctx.host, dataDir: ctx.dataDir, files, log: ctx.log, webApp: ctx.app, ...opts });
  return { name: "cura", endpoints: [], service, close: () => service.stop() };
}
