// Cura's door as a web API component ("cura"): started with the web API on its Host and file manager,
// its routes mounted on the web API's app (and on port 80 where it may bind it), stopped with it.
import type { ApiComponent, ApiContext } from "../api/endpoint.ts";
import type { FileManager } from "../api/files/index.ts";
import { type CuraOptions, type CuraService, startCura } from "./start.ts";

/** Cura's own port (default 80), its listen address, the mDNS advertisement, upload limits. */
export type CuraDoorOptions = Omit<CuraOptions, "host" | "dataDir" | "files" | "log" | "webApp">;

export interface CuraComponent extends ApiComponent {
  service: CuraService;
}

export function createCuraComponent(ctx: ApiContext, files: FileManager, opts: CuraDoorOptions): CuraComponent {
  const service = startCura({ host: ctx.host, dataDir: ctx.dataDir, files, log: ctx.log, webApp: ctx.app, ...opts });
  return { name: "cura", endpoints: [], service, close: () => service.stop() };
}
