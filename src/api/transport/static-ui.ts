// Serving a built web UI (Mainsail, Fluidd) from a folder at "/" next to the API: files by path,
// index.html for "/" and for client-side routes (single-page app fallback).
import { stat } from "node:fs/promises";
import { join, normalize, resolve, sep } from "node:path";

/** Paths that belong to the API: never answered with the UI's index.html. */
export const API_PREFIXES = ["/server/", "/printer/", "/machine/", "/access/", "/api/", "/websocket"];

export function isApiPath(pathname: string): boolean {
  return API_PREFIXES.some((p) => pathname === p.replace(/\/$/, "") || pathname.startsWith(p));
}

/** The response for a GET of `pathname` from the UI folder, or null when it is not the UI's. */
export async function serveUi(webDir: string, pathname: string): Promise<Response | null> {
  if (isApiPath(pathname)) return null;
  const root = resolve(webDir);
  let rel: string;
  try {
    rel = normalize(decodeURIComponent(pathname)).replace(/^[/\\]+/, "");
  } catch {
    return null;
  }
  const full = resolve(root, rel);
  if (full !== root && !full.startsWith(root + sep)) return null;
  const file = await regularFile(full === root ? join(root, "index.html") : full);
  if (file) return fileResponse(file, full === root);
  // A client-side route ("/files", "/settings/…") but not a missing asset with an extension
  if (/\.[a-z0-9]+$/i.test(rel)) return null;
  const index = await regularFile(join(root, "index.html"));
  return index ? fileResponse(index, true) : null;
}

async function regularFile(path: string): Promise<string | null> {
  try {
    return (await stat(path)).isFile() ? path : null;
  } catch {
    return null;
  }
}

function fileResponse(path: string, isIndex: boolean): Response {
  const headers: Record<string, string> = {};
  // index.html must be re-read after an update; hashed assets may be cached
  headers["cache-control"] = isIndex || path.endsWith("index.html") ? "no-cache" : "public, max-age=3600";
  return new Response(Bun.file(path), { headers });
}
