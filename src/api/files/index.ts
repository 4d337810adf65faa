// The file manager component of the web API: Moonraker's server.files.* endpoints, the raw routes
// for upload (multipart, streamed), download (HTTP Range) and delete, and notify_filelist_changed
// for every change. The FileManager it builds is handed to other doors (Cura) in process.
import type { Context } from "hono";
import * as v from "valibot";
import { ApiError, endpoint, type ApiComponent, type ApiContext } from "../endpoint.ts";
import { bool } from "../params.ts";
import { FileManager } from "./file-manager.ts";
import { serveFile } from "./download.ts";
import { urlPath } from "./roots.ts";
import { receiveUpload } from "./upload.ts";

export { FileManager } from "./file-manager.ts";

export interface FilesOptions {
  /** Largest accepted upload in bytes (default 4 GiB). */
  maxUploadBytes?: number;
  /** Watch the roots for outside changes (default true). */
  watch?: boolean;
}

export interface FilesComponent extends ApiComponent {
  fileManager: FileManager;
}

const boolish = v.optional(bool, false);
const filenameParams = v.object({ filename: v.pipe(v.string(), v.minLength(1)) });
const moveParams = v.object({ source: v.pipe(v.string(), v.minLength(1)), dest: v.pipe(v.string(), v.minLength(1)) });

/** Answer an error from a raw route as Moonraker does: JSON body, HTTP status = code. */
export function errorResponse(c: Context, err: unknown, log: ApiContext["log"]): Response {
  if (err instanceof ApiError) return c.json({ error: { code: err.status, message: err.message } }, err.status as 400);
  log.error(`files: ${(err as Error).stack ?? String(err)}`);
  return c.json({ error: { code: 500, message: (err as Error).message ?? "Internal error" } }, 500);
}

export function createFilesComponent(ctx: ApiContext, opts: FilesOptions = {}): FilesComponent {
  const fm = new FileManager({ dataDir: ctx.dataDir, host: ctx.host, log: ctx.log, maxUploadBytes: opts.maxUploadBytes, watch: opts.watch });
  const unsubscribe = fm.onChange((change) => ctx.notify("notify_filelist_changed", [change]));
  /** Raw routes authenticate like endpoint routes (API key, token, trusted network). */
  const authorize = (c: Context) =>
    ctx.authorize({ transport: "http", ip: ctx.remoteIp(c.req.raw), headers: c.req.raw.headers, query: new URL(c.req.url).searchParams });

  ctx.app.post("/server/files/upload", async (c) => {
    try {
      await authorize(c);
      const result = await receiveUpload(fm, c.req.raw);
      const url = new URL(c.req.url);
      c.header("Location", `${url.origin}/server/files/${result.item.root}/${urlPath(result.item.path)}`);
      return c.json(result, 201);
    } catch (err) {
      return errorResponse(c, err, ctx.log);
    }
  });
  // Moonraker's legacy log aliases.
  for (const name of ["klippy.log", "moonraker.log"]) {
    ctx.app.get(`/server/files/${name}`, async (c) => {
      try {
        await authorize(c);
        return serveFile(c, fm.locateIn("logs", name === "moonraker.log" ? "stepline.log" : name), ctx.log);
      } catch (err) {
        return errorResponse(c, err, ctx.log);
      }
    });
  }
  ctx.app.get("/server/files/:root{gcodes|config|logs}/:rest{.+}", async (c) => {
    try {
      await authorize(c);
      return serveFile(c, fm.locateIn(c.req.param("root"), c.req.param("rest")), ctx.log);
    } catch (err) {
      return errorResponse(c, err, ctx.log);
    }
  });
  ctx.app.delete("/server/files/:root{gcodes|config|logs}/:rest{.+}", async (c) => {
    try {
      await authorize(c);
      const change = await fm.deleteFile(`${c.req.param("root")}/${c.req.param("rest")}`);
      return c.json({ result: { item: change.item, action: change.action } });
    } catch (err) {
      return errorResponse(c, err, ctx.log);
    }
  });

  const endpoints = [
    endpoint({
      path: "/server/files/list",
      verbs: ["GET"],
      params: v.object({ root: v.optional(v.string(), "gcodes") }),
      handler: ({ params }) => fm.list(params.root),
    }),
    endpoint({
      path: "/server/files/roots",
      verbs: ["GET"],
      params: v.object({}),
      handler: () => fm.rootsInfo(),
    }),
    endpoint({
      path: "/server/files/metadata",
      verbs: ["GET"],
      params: filenameParams,
      handler: ({ params }) => fm.metadata(params.filename),
    }),
    endpoint({
      path: "/server/files/metascan",
      verbs: ["POST"],
      params: filenameParams,
      handler: ({ params }) => fm.metadata(params.filename, true),
    }),
    endpoint({
      path: "/server/files/thumbnails",
      verbs: ["GET"],
      params: filenameParams,
      handler: ({ params }) => fm.thumbnails(params.filename),
    }),
    endpoint({
      path: "/server/files/directory",
      verbs: ["GET", "POST", "DELETE"],
      params: v.object({ path: v.optional(v.string(), "gcodes"), extended: boolish, force: boolish }),
      handler: ({ params, verb }) => {
        if (verb === "GET") return fm.getDirectory(params.path, params.extended);
        if (verb === "POST") return fm.createDirectory(params.path);
        return fm.deleteDirectory(params.path, params.force);
      },
    }),
    endpoint({
      path: "/server/files/move",
      verbs: ["POST"],
      params: moveParams,
      handler: ({ params }) => fm.move(params.source, params.dest),
    }),
    endpoint({
      path: "/server/files/copy",
      verbs: ["POST"],
      params: moveParams,
      handler: ({ params }) => fm.copy(params.source, params.dest),
    }),
    endpoint({
      path: "/server/files/zip",
      verbs: ["POST"],
      params: v.object({
        items: v.pipe(v.array(v.string()), v.minLength(1)),
        dest: v.optional(v.string()),
        store_only: boolish,
      }),
      handler: ({ params }) => fm.zip(params.items, params.dest, params.store_only),
    }),
    endpoint({
      // Over HTTP this is DELETE /server/files/{root}/{path} (a raw route above).
      path: "/server/files/delete_file",
      verbs: ["POST"],
      transports: ["websocket"],
      params: v.object({ path: v.pipe(v.string(), v.minLength(1)) }),
      handler: async ({ params }) => {
        const change = await fm.deleteFile(params.path);
        return { item: change.item, action: change.action };
      },
    }),
  ];

  return {
    name: "file_manager",
    endpoints,
    fileManager: fm,
    close() {
      unsubscribe();
      fm.close();
    },
  };
}
