// Who a request is (Moonraker's authorization component): a JWT user, a oneshot token, the API key,
// or a trusted client by address — checked in that order, before any handler or body is read.
// Users, their JWT secrets and the API key live in the database namespace "authorized_users".
import { randomBytes } from "../../util/crypto.ts";
import { ApiError, type AuthRequest, type AuthResult, type Caller } from "../endpoint.ts";
import type { Database } from "../database/database.ts";
import { isPlainObject } from "../database/key-path.ts";
import { compileCorsDomains, DEFAULT_CORS_DOMAINS, originCheck, type OriginCheck } from "./cors.ts";
import { signJwt, verifyJwt, peekJwt, type TokenType } from "./jwt.ts";
import { defaultTrustedClients, inNetworks, parseNetwork, type Network } from "./networks.ts";

export interface AuthOptions {
  /** Addresses and CIDR ranges authenticated without credentials (default: loopback and own subnets). */
  trustedClients?: readonly string[];
  /** Origins allowed cross-origin (Moonraker's cors_domains patterns). */
  corsDomains?: readonly string[];
  /** Once a user exists, trusted clients must log in too. */
  forceLogins?: boolean;
  /** Clock in ms (tests step it instead of sleeping). */
  now?: () => number;
}

export type User = NonNullable<Caller["user"]>;
export const TRUSTED_USER = "_TRUSTED_USER_";
export const API_KEY_USER = "_API_KEY_USER_";
const SOURCE = "moonraker";
const NS = "authorized_users";
const ONESHOT_MS = 5_000;
const ACCESS_TOKEN_S = 3600;
const REFRESH_TOKEN_S = 90 * 24 * 3600;

interface StoredUser {
  username: string;
  source: string;
  created_on: number;
  password_hash: string;
  jwt_secret: string;
}

export interface TokenPair {
  token: string;
  refresh_token: string;
}

export class Authorizer {
  readonly networks: Network[];
  readonly origins: OriginCheck;
  readonly forceLogins: boolean;
  private readonly now: () => number;
  private readonly oneshots = new Map<string, { ip: string; user: Caller["user"]; expires: number }>();
  private readonly startedOn: number;

  constructor(
    private readonly db: Database,
    opts: AuthOptions,
    warn: (msg: string) => void,
  ) {
    this.now = opts.now ?? Date.now;
    this.startedOn = this.now() / 1000;
    this.forceLogins = opts.forceLogins ?? false;
    this.networks = [];
    for (const entry of opts.trustedClients ?? defaultTrustedClients()) {
      const n = parseNetwork(entry);
      if (n) this.networks.push(n);
      else warn(`auth: trusted client '${entry}' ignored: not an IP address or CIDR range`);
    }
    this.origins = originCheck(compileCorsDomains(opts.corsDomains ?? DEFAULT_CORS_DOMAINS, warn), (ip) => this.isTrustedIp(ip));
    if (typeof db.getOr(NS, "api_key", null) !== "string") db.set(NS, "api_key", newApiKey());
  }

  isTrustedIp(ip: string): boolean {
    return inNetworks(ip, this.networks);
  }

  /** A request from `ip` whose Origin (if cross-origin) is allowed, so it may be trusted by address. */
  isTrusted(req: Pick<AuthRequest, "ip" | "headers">): boolean {
    if (!this.isTrustedIp(req.ip)) return false;
    // A page of another site in a LAN browser must not ride on the browser's trusted address
    const origin = this.origins.crossOrigin(req.headers);
    return origin === null || this.origins.allowed(origin);
  }

  loginRequired(): boolean {
    return this.forceLogins && this.users().length > 0;
  }

  authenticate(req: AuthRequest): AuthResult {
    const jwt = bearer(req);
    if (jwt) {
      const user = this.userOfToken(jwt, "auth");
      return user ? { user } : new ApiError("Unauthorized", 401);
    }
    const oneshot = req.query.get("token");
    if (oneshot) {
      const entry = this.oneshots.get(oneshot);
      this.oneshots.delete(oneshot);
      if (entry && entry.ip === req.ip && entry.expires > this.now()) return { user: entry.user };
    }
    const key = req.credentials?.apiKey ?? req.headers.get("x-api-key");
    if (key && key === this.apiKey()) return { user: { username: API_KEY_USER, source: SOURCE } };
    if (!this.loginRequired() && this.isTrusted(req)) return { user: null };
    return new ApiError("Unauthorized", 401);
  }

  apiKey(): string {
    return String(this.db.get(NS, "api_key"));
  }

  async rotateApiKey(): Promise<string> {
    const key = newApiKey();
    this.db.set(NS, "api_key", key);
    await this.db.flush();
    return key;
  }

  /** A token valid once, within 5 s, from the same address, standing for `user`. */
  oneshotToken(ip: string, user: Caller["user"]): string {
    const now = this.now();
    for (const [t, e] of this.oneshots) if (e.expires <= now) this.oneshots.delete(t);
    const token = randomBytes(20).toString("base64url");
    this.oneshots.set(token, { ip, user, expires: now + ONESHOT_MS });
    return token;
  }

  users(): StoredUser[] {
    const all = this.db.getOr(NS, "users", {});
    return isPlainObject(all) ? Object.values(all).filter(isStoredUser) : [];
  }

  user(username: string): StoredUser | null {
    const u = this.db.getOr(NS, ["users", username], null);
    return isStoredUser(u) ? u : null;
  }

  /** Info of a caller as access.get_user reports it. */
  describe(user: Caller["user"]): { username: string; source: string; created_on: number } {
    if (user === null) return { username: TRUSTED_USER, source: SOURCE, created_on: this.startedOn };
    return { username: user.username, source: user.source, created_on: this.user(user.username)?.created_on ?? this.startedOn };
  }

  async createUser(username: string, password: string): Promise<TokenPair> {
    if (username.startsWith("_") || this.user(username)) throw new ApiError(`User '${username}' already exists or is reserved`, 400);
    const stored: StoredUser = {
      username,
      source: SOURCE,
      created_on: this.now() / 1000,
      password_hash: await hashPassword(password),
      jwt_secret: newSecret(),
    };
    this.db.set(NS, ["users", username], stored);
    await this.db.flush();
    return this.tokens(stored);
  }

  async deleteUser(username: string): Promise<void> {
    if (!this.user(username)) throw new ApiError(`No registered user: ${username}`, 404);
    this.db.delete(NS, ["users", username]);
    await this.db.flush();
  }

  async login(username: string, password: string): Promise<TokenPair> {
    const u = this.user(username);
    // One answer for unknown user and wrong password, so names cannot be probed
    if (!u || !(await Bun.password.verify(password, u.password_hash))) throw new ApiError("Invalid username or password", 401);
    return this.tokens(u);
  }

  async setPassword(username: string, password: string, newPassword: string): Promise<void> {
    const u = this.user(username);
    if (!u || !(await Bun.password.verify(password, u.password_hash))) throw new ApiError("Invalid password", 401);
    this.db.set(NS, ["users", username, "password_hash"], await hashPassword(newPassword));
    await this.db.flush();
  }

  /** Invalidate every token of the user (a new secret). */
  async logout(username: string): Promise<void> {
    if (!this.user(username)) throw new ApiError(`No registered user: ${username}`, 400);
    this.db.set(NS, ["users", username, "jwt_secret"], newSecret());
    await this.db.flush();
  }

  refresh(refreshToken: string): { user: User; token: string } {
    const user = this.userOfToken(refreshToken, "refresh");
    const stored = user && this.user(user.username);
    if (!stored) throw new ApiError("Invalid refresh token", 401);
    return { user, token: this.sign(stored, "auth") };
  }

  private userOfToken(token: string, type: TokenType): User | null {
    const claimed = peekJwt(token);
    const stored = claimed && this.user(claimed.username);
    if (!stored || !verifyJwt(token, stored.jwt_secret, type, this.now() / 1000)) return null;
    return { username: stored.username, source: stored.source };
  }

  private tokens(u: StoredUser): TokenPair {
    return { token: this.sign(u, "auth"), refresh_token: this.sign(u, "refresh") };
  }

  private sign(u: StoredUser, type: TokenType): string {
    const iat = this.now() / 1000;
    const exp = iat + (type === "auth" ? ACCESS_TOKEN_S : REFRESH_TOKEN_S);
    return signJwt({ iss: "Moonraker", iat, exp, username: u.username, token_type: type }, u.jwt_secret);
  }
}

/** The JWT of a request: Authorization: Bearer, X-Access-Token, ?access_token=, or identify's access_token. */
function bearer(req: AuthRequest): string | null {
  const auth = req.headers.get("authorization");
  if (auth?.toLowerCase().startsWith("bearer ")) return auth.slice(7).trim();
  return req.credentials?.accessToken ?? req.headers.get("x-access-token") ?? req.query.get("access_token");
}

/** Argon2id at OWASP's minimum (19 MiB, 2 passes): strong, and still quick on a Raspberry Pi. */
function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, { algorithm: "argon2id", memoryCost: 19_456, timeCost: 2 });
}

function newApiKey(): string {
  return randomBytes(16).toString("hex");
}

function newSecret(): string {
  return randomBytes(32).toString("hex");
}

function isStoredUser(x: unknown): x is StoredUser {
  return isPlainObject(x) && typeof x.username === "string" && typeof x.password_hash === "string" && typeof x.jwt_secret === "string";
}
