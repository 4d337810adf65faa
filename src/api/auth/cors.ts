// CORS as Moonraker's cors_domains: an Origin matching a pattern ("*.local", "*://localhost:*",
// "https://app.fluidd.xyz") or naming a trusted address gets the Access-Control headers; others none.
import type { MiddlewareHandler } from "hono";

export const DEFAULT_CORS_DOMAINS = ["*.lan", "*.local", "*://localhost", "*://localhost:*", "*://my.mainsail.xyz", "*://app.fluidd.xyz"];

const ALLOW_HEADERS = "Origin, Accept, Content-Type, X-Requested-With, X-CRSF-Token, Authorization, X-Access-Token, X-Api-Key";

/** Compile patterns; a wildcard in the top-level domain is refused (it would match any site). */
export function compileCorsDomains(patterns: readonly string[], warn: (msg: string) => void): RegExp[] {
  const out: RegExp[] = [];
  for (const raw of patterns) {
    const p = raw.trim().replace(/\/+$/, "");
    if (!p) continue;
    const host = p.replace(/^[^:]*:\/\//, "").replace(/:[^.]*$/, "");
    if (host.includes(".") && host.slice(host.lastIndexOf(".") + 1).includes("*")) {
      warn(`auth: cors domain '${raw}' ignored: a wildcard in the top-level domain is not allowed`);
      continue;
    }
    const re = p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
    // A pattern without scheme matches any scheme ("*.lan" → http://printer.lan)
    out.push(new RegExp(`^${/^[^:]*:\/\//.test(p) || p.startsWith("*") ? "" : "[a-z][a-z0-9+.-]*://"}${re}$`, "i"));
  }
  return out;
}

export interface OriginCheck {
  /** The request's Origin, when it names another site than the request's Host. */
  crossOrigin(headers: Headers): string | null;
  allowed(origin: string): boolean;
}

export function originCheck(patterns: RegExp[], isTrustedIp: (ip: string) => boolean): OriginCheck {
  return {
    crossOrigin(headers) {
      const origin = headers.get("origin");
      if (!origin || origin === "null") return origin;
      try {
        return new URL(origin).host === headers.get("host") ? null : origin;
      } catch {
        return origin;
      }
    },
    allowed(origin) {
      if (patterns.some((re) => re.test(origin))) return true;
      try {
        return isTrustedIp(new URL(origin).hostname);
      } catch {
        return false;
      }
    },
  };
}

/** Preflight answers (204 allowed, 403 refused) and Access-Control headers on allowed cross-origin replies. */
export function corsMiddleware(check: OriginCheck): MiddlewareHandler {
  return async (c, next) => {
    const origin = check.crossOrigin(c.req.raw.headers);
    const allowed = origin !== null && check.allowed(origin);
    const headers: Record<string, string> = allowed
      ? { "Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", Vary: "Origin" }
      : {};
    if (c.req.method === "OPTIONS") {
      if (origin !== null && !allowed) return c.json({ error: { code: 403, message: `Origin ${origin} not allowed` } }, 403);
      headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, DELETE, OPTIONS";
      headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS;
      if (c.req.header("access-control-request-private-network") === "true") headers["Access-Control-Allow-Private-Network"] = "true";
      return c.body(null, 204, headers);
    }
    await next();
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
  };
}
