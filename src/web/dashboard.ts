// The built-in dashboard's HTTP routes: the page at / and its script and stylesheet under
// /stepline/, served from memory (inlined at build time by build-assets.ts), gzip-compressed once,
// with ETags. The page talks to the web API over its public websocket and HTTP routes only.
import { Hono } from "hono";
import { dashboardFile, dashboardScript } from "./build-assets.ts" with { type: "macro" };

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  gzip: Uint8Array<ArrayBuffer>;
  type: string;
  etag: string;
}

const SOURCES: Record<string, { text: string; type: string }> = {
  "/": { text: dashboardFile("index.html"), type: "text/html; charset=utf-8" },
  "/stepline/app.js": { text: dashboardScript(), type: "text/javascript; charset=utf-8" },
  "/stepline/app.css": { text: dashboardFile("app.css"), type: "text/css; charset=utf-8" },
};

let assets: Map<string, Asset> | null = null;

/** Encode and compress on first use, once per process (a few ms for ~40 KB). */
function loadAssets(): Map<string, Asset> {
  if (assets) return assets;
  assets = new Map();
  for (const [path, { text, type }] of Object.entries(SOURCES)) {
    const body = new TextEncoder().encode(text);
    assets.set(path, { body, gzip: Bun.gzipSync(body), type, etag: `"${Bun.hash(body).toString(36)}"` });
  }
  return assets;
}

/** The dashboard's paths, for servers that want to know what it answers. */
export const DASHBOARD_PATHS = ["/", "/index.html", ...Object.keys(SOURCES).filter((p) => p !== "/")];

/** Routes serving the dashboard; mount with `app.route("/", dashboardRoutes())`. */
export function dashboardRoutes(): Hono {
  const web = new Hono();
  for (const path of DASHBOARD_PATHS) {
    web.get(path, (c) => {
      const a = loadAssets().get(path === "/index.html" ? "/" : path)!;
      const headers: Record<string, string> = {
        "Content-Type": a.type,
        ETag: a.etag,
        // The page must be revalidated so an upgraded binary's assets are picked up at once
        "Cache-Control": "no-cache",
        Vary: "Accept-Encoding",
      };
      if (c.req.header("If-None-Match") === a.etag) return c.body(null, 304, headers);
      if (/\bgzip\b/.test(c.req.header("Accept-Encoding") ?? "")) return c.body(a.gzip, 200, { ...headers, "Content-Encoding": "gzip" });
      return c.body(a.body, 200, headers);
    });
  }
  return web;
}
