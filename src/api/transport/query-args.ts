// HTTP arguments as Moonraker reads them: query string values are strings unless the key carries a
// type hint ("count:int=3", ":float", ":bool", ":json"); a JSON or form body is merged over them.
import { ApiError } from "../endpoint.ts";

type Hint = "int" | "float" | "bool" | "json" | "str";
const HINTS = new Set<string>(["int", "float", "bool", "json", "str"]);

function convert(key: string, value: string, hint: Hint): unknown {
  switch (hint) {
    case "str":
      return value;
    case "int": {
      const n = Number(value);
      if (!Number.isInteger(n) || value.trim() === "") throw new ApiError(`Unable to convert argument '${key}' to int: '${value}'`, 400);
      return n;
    }
    case "float": {
      const n = Number(value);
      if (!Number.isFinite(n) || value.trim() === "") throw new ApiError(`Unable to convert argument '${key}' to float: '${value}'`, 400);
      return n;
    }
    case "bool": {
      const v = value.toLowerCase();
      if (v === "true" || v === "1") return true;
      if (v === "false" || v === "0") return false;
      throw new ApiError(`Unable to convert argument '${key}' to bool: '${value}'`, 400);
    }
    case "json":
      try {
        return JSON.parse(value);
      } catch {
        throw new ApiError(`Unable to convert argument '${key}' from JSON: '${value}'`, 400);
      }
  }
}

/** Query string → args object, applying type hints. Repeated keys: the last one wins (Moonraker). */
export function queryArgs(query: URLSearchParams): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [rawKey, value] of query) {
    const colon = rawKey.lastIndexOf(":");
    const hint = colon > 0 ? rawKey.slice(colon + 1) : "";
    if (colon > 0 && HINTS.has(hint)) args[rawKey.slice(0, colon)] = convert(rawKey, value, hint as Hint);
    else args[rawKey] = value;
  }
  return args;
}

/** Largest JSON/form body an endpoint accepts (uploads are raw routes with their own limit). */
export const MAX_ARGS_BODY = 4 * 1024 * 1024;

/**
 * The body as text, refused with 413 once it passes `limit` bytes: a declared Content-Length at
 * once, a chunked body as soon as it streams past the limit (never buffered whole).
 */
export async function boundedBodyText(req: Request, limit: number): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limit) throw new ApiError(`Request body too large (${declared} bytes, limit ${limit})`, 413);
  if (!req.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = req.body.getReader();
  for (;;) {
    // The client going away mid-body fails its request, not the server
    const { done, value } = await reader.read().catch((e: unknown) => {
      throw new ApiError(`Request body cut off: ${(e as Error)?.message || "connection closed"}`, 400);
    });
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      // Cancelling only tells Bun to stop reading; a failure there changes nothing for the 413
      await reader.cancel().catch(() => {});
      throw new ApiError(`Request body too large (over ${limit} bytes)`, 413);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size).toString("utf8");
}

/** The body's args (JSON object or urlencoded form); {} for an empty body. */
export async function bodyArgs(req: Request): Promise<Record<string, unknown>> {
  const text = await boundedBodyText(req, MAX_ARGS_BODY);
  if (text.trim() === "") return {};
  const type = req.headers.get("content-type") ?? "";
  // curl -d sends JSON as a form unless told otherwise: a body that opens like JSON is read as JSON
  const looksJson = /^\s*[{[]/.test(text);
  if (type.includes("application/x-www-form-urlencoded") && !looksJson) return queryArgs(new URLSearchParams(text));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ApiError(`Invalid JSON body: ${(e as Error).message}`, 400);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new ApiError("Request body must be a JSON object", 400);
  return parsed as Record<string, unknown>;
}
