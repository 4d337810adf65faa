// GET /server/files/{root}/{path}: the file's bytes straight from disk (Bun streams the file), with
// single-range HTTP Range requests (206/416) for resumable downloads; a missing file is a JSON 404.
import { statSync } from "node:fs";
import type { Context } from "hono";
import type { ApiContext } from "../endpoint.ts";
import type { Location } from "./roots.ts";

function notFound(c: Context, loc: Location): Response {
  return c.json({ error: { code: 404, message: `File does not exist: ${loc.root.name}/${loc.rel}` } }, 404);
}

/** Parse "bytes=a-b" / "bytes=a-" / "bytes=-n" against `size`; null = unsatisfiable, undefined = ignore. */
export function parseRange(header: string, size: number): { start: number; end: number } | null | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined; // multi-range or garbage: send it all
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0) return null;
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return null;
  return { start, end };
}

export function serveFile(c: Context, loc: Location, log: ApiContext["log"]): Response {
  let size: number;
  try {
    const st = statSync(loc.abs);
    if (!st.isFile()) return notFound(c, loc);
    size = st.size;
  } catch {
    return notFound(c, loc);
  }
  const file = Bun.file(loc.abs);
  const headers: Record<string, string> = {
    "Accept-Ranges": "bytes",
    "Content-Type": file.type || "application/octet-stream",
  };
  const rangeHeader = c.req.header("range");
  const range = rangeHeader ? parseRange(rangeHeader, size) : undefined;
  if (range === null) {
    log.info(`files: unsatisfiable range '${rangeHeader}' for ${loc.root.name}/${loc.rel} (${size} bytes)`);
    return new Response(null, { status: 416, headers: { ...headers, "Content-Range": `bytes */${size}` } });
  }
  if (range) {
    headers["Content-Range"] = `bytes ${range.start}-${range.end}/${size}`;
    headers["Content-Length"] = String(range.end - range.start + 1);
    return new Response(file.slice(range.start, range.end + 1), { status: 206, headers });
  }
  headers["Content-Length"] = String(size);
  return new Response(file, { status: 200, headers });
}
