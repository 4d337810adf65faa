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

export interface EndpointRequest<P> {
  params: P;
  verb: HttpVerb;
  caller: Caller;
}

export interface EndpointDecl<S extends v.GenericSchema = v.GenericSchema> {
  /** HTTP path, e.g. "/server/files/list". */
  path: string;
  verbs: readonly HttpVerb[];
  /** JSON-RPC name when Moonraker's differs from the derived one (verb → name). */
  rpcNames?: Partial<Record<HttpVerb, string>>;
  /** Params of HTTP query/body or JSON-RPC params, validated (valibot) before the handler runs. */
  params: S;
  /** Answer 503 / error while klippy is not ready (Moonraker's klippy-state gating). */
  needsKlippy?: boolean;
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
  log: { info(msg: string): void; warn(msg: string): void; error(msg: string): void };
}

/** A component: registers its endpoints (and raw routes on ctx.app), may clean up on close. */
export interface ApiComponent {
  name: string;
  endpoints: EndpointDecl[];
  close?(): void | Promise<void>;
}
