// One declaration per web API endpoint: the HTTP route and the JSON-RPC method both come from it
// (Moonraker's rule: "/server/files/list" GET ↔ "server.files.list"; a path served with several
// verbs gets the verb as prefix: "server.files.get_directory", "server.files.post_directory").
// Components (files, auth, database, history, printer, machine, …) return lists of these; the
// transport (HTTP routes, websocket, /server/jsonrpc) is built from those lists alone.
import type { Hono } from "hono";
import type * as v from "valibot";
import type { Host } from "../core/host.ts";

export type HttpVerb = "GET" | "POST" | "DELETE";

/** An error answered to the client: JSON-RPC error code = HTTP status (Moonraker's convention). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number = 400,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Who is calling, as the auth layer established it (null user: trusted client or auth disabled). */
export interface Caller {
  transport: "http" | "websocket";
  /** The websocket connection's id (server.websocket.id), null over HTTP. */
  connectionId: number | null;
  /** Remote IP address as seen by the server. */
  ip: string;
  user: { username: string; source: string } | null;
}

/** One websocket client as endpoints see it (per-connection state: subscriptions, identify, login). */
export interface ApiConnection {
  readonly id: number;
  /** Send a JSON-RPC notification to this client only (dropped while it is not authenticated). */
  send(method: string, params?: unknown[]): void;
  /** Run `cb` when the socket closes (drop subscriptions etc.). */
  onClose(cb: () => void): void;
  /** Whether the connection has an authenticated caller (it then receives notifications). */
  readonly authenticated: boolean;
  /** Authenticate the connection (identify with credentials, access.login over the socket). */
  authenticate(user: Caller["user"]): void;
  /** Drop the connection's authentication (access.logout over the socket): 401s and no notifications again. */
  deauthenticate(): void;
  /** What server.connection.identify said (null until then; identify is one-shot). */
  identity: { client_name: string; version: string; type: string; url: string } | null;
}

export interface EndpointRequest<P> {
  params: P;
  verb: HttpVerb;
  caller: Caller;
  /** The websocket connection the request came over (null over HTTP and /server/jsonrpc). */
  connection: ApiConnection | null;
}

export interface EndpointDecl<S extends v.GenericSchema = v.GenericSchema> {
  /** HTTP path, e.g. "/server/files/list". */
  path: string;
  verbs: readonly HttpVerb[];
  /** JSON-RPC name when Moonraker's differs from the derived one (verb → name). */
  rpcNames?: Partial<Record<HttpVerb, string>>;
  /** Params of HTTP query/body or JSON-RPC params, validated (valibot) before the handler runs. */
  params: S;
  /**
   * Klippy-state gating: true = 503 unless klippy is "ready" (G-code, print control); "connected" =
   * 503 only while disconnected (printer.info, objects.* also answer in startup/shutdown/error).
   */
  needsKlippy?: boolean | "connected";
  /** Reachable without authorization (login, refresh, info, oneshot-free endpoints). */
  public?: boolean;
  /** HTTP only / websocket only (e.g. server.websocket.id has no HTTP route). */
  transports?: readonly ("http" | "websocket")[];
  handler(req: EndpointRequest<v.InferOutput<S>>): unknown | Promise<unknown>;
}

/** Declare an endpoint with its params' types inferred from the schema. */
export function endpoint<S extends v.GenericSchema>(decl: EndpointDecl<S>): EndpointDecl<S> {
  return decl;
}

/** What every API component gets: the printer seam, the data folder, notifications, raw routes. */
export interface ApiContext {
  host: Host;
  /** The data folder (config/, gcodes/, logs/, database/). */
  dataDir: string;
  /** Broadcast a JSON-RPC notification ("notify_filelist_changed", …) to every websocket client. */
  notify(method: string, params?: unknown[]): void;
  /** For routes that are not JSON endpoints (multipart upload, file download, static UI). */
  app: Hono;
  log: ApiLog;
  /** Names of every component (server.info "components"); complete once all factories ran. */
  componentNames(): string[];
  /** Authenticate a request (raw routes: upload, download; identify): the caller, or throws ApiError 401. */
  authorize(req: AuthRequest): Promise<Caller["user"]>;
  /** The request's remote IP (for building an AuthRequest in a raw route). */
  remoteIp(req: Request): string;
  /** The websocket connections now open. */
  connectionCount(): number;
  /** Close every websocket (server.restart: the clients reconnect and re-read everything). */
  closeConnections(code: number, reason: string): void;
}

export interface ApiLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** What an authenticator sees of a request (HTTP request, websocket upgrade or identify). */
export interface AuthRequest {
  transport: "http" | "websocket";
  ip: string;
  headers: Headers;
  query: URLSearchParams;
  /** Credentials sent in server.connection.identify (websocket). */
  credentials?: { accessToken?: string; apiKey?: string };
}

/** The user the request is authenticated as (null user = trusted client), or a refusal (401/403). */
export type AuthResult = { user: Caller["user"] } | ApiError;
export type Authenticator = (req: AuthRequest) => AuthResult | Promise<AuthResult>;

/** A component: registers its endpoints (and raw routes on ctx.app), may clean up on close. */
export interface ApiComponent {
  /** The name server.info lists in "components" (Moonraker's component names: "file_manager", …). */
  name: string;
  endpoints: EndpointDecl[];
  /** The auth component provides this; without one every client is trusted. */
  authenticate?: Authenticator;
  close?(): void | Promise<void>;
}

/**
 * Builds a component. Factories run in list order before any endpoint route is added, so a
 * middleware a factory puts on ctx.app (CORS, auth) covers every endpoint route; raw routes of
 * later factories come after it too — list the auth component first.
 */
export type ApiComponentFactory = (ctx: ApiContext) => ApiComponent | Promise<ApiComponent>;
