// JSON Web Tokens as Moonraker issues them: HS256, issuer "Moonraker", payload {username,
// token_type: "auth" | "refresh", iat, exp}, signed with a secret of the user (logout rotates it).
import { equalInConstantTime, hmacSha256 } from "../../util/crypto.ts";

export type TokenType = "auth" | "refresh";

export interface JwtPayload {
  iss: string;
  iat: number;
  exp: number;
  username: string;
  token_type: TokenType;
}

const HEADER = Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })).toString("base64url");

function signature(data: string, secret: string): Buffer {
  return hmacSha256(secret, data);
}

export function signJwt(payload: JwtPayload, secret: string): string {
  const data = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
  return `${data}.${signature(data, secret).toString("base64url")}`;
}

/** The payload, unverified (to find whose secret checks it); null when it is not a JWT. */
export function peekJwt(token: string): JwtPayload | null {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0]!, "base64url").toString());
    if (typeof header !== "object" || header === null || (header as { alg?: unknown }).alg !== "HS256") return null;
    const p: unknown = JSON.parse(Buffer.from(parts[1]!, "base64url").toString());
    if (typeof p !== "object" || p === null) return null;
    const { iss, iat, exp, username, token_type } = p as Record<string, unknown>;
    if (typeof username !== "string" || typeof exp !== "number" || typeof iat !== "number") return null;
    if (token_type !== "auth" && token_type !== "refresh") return null;
    return { iss: String(iss), iat, exp, username, token_type };
  } catch {
    return null;
  }
}

/** Whether `token` carries a valid signature by `secret`, is of `type` and not expired at `nowSec`. */
export function verifyJwt(token: string, secret: string, type: TokenType, nowSec: number): JwtPayload | null {
  const payload = peekJwt(token);
  if (!payload || payload.token_type !== type || payload.exp <= nowSec) return null;
  const dot = token.lastIndexOf(".");
  const given = Buffer.from(token.slice(dot + 1), "base64url");
  const expected = signature(token.slice(0, dot), secret);
  return equalInConstantTime(given, expected) ? payload : null;
}
