// The web API server: a Hono app with every component's endpoints as HTTP routes, the JSON-RPC
// websocket at /websocket and POST /server/jsonrpc, an optional static UI at "/", on Bun.serve.
import type { Server } from "bun";
import { Hono, type Context } from "hono";
import type { Host } from "../core/host.ts";
import {
  ApiError,
  type ApiComponent,
  type ApiComponentFactory,
  type ApiContext,
  type ApiLog,
  type AuthRequest,
  type Authenticator,
  type Caller,
  type EndpointDecl,
  type HttpVerb,
} from "./endpoint.ts";
import { ConnectionRegistry, type SocketData, type WsConnection } from "./transport/connections.ts";
import { toApiError } from "./transport/errors.ts";
import { handleJsonRpc } from "./transport/jsonrpc.ts";
import { MethodTable } from "./transport/method-table.ts";
import { bodyArgs, boundedBodyText, MAX_ARGS_BODY, queryArgs } from "./transport/query-args.ts";
import { serveUi } from "./transport/static-ui.ts";

export interface ApiServerOptions {
  host: Host;
  dataDir: string;
  /** Port to listen on (0 = a free one). */
  port: number;
  /** Address to bind (default 0.0.0.0; tests: 127.0.0.1). */
  hostname?: string;
  components: ApiComponentFactory[];
  log: ApiLog;
  /** A built Mainsail/Fluidd folder served at "/". */
  webDir?: string;
  /**
   * Routes of the built-in UI, served at "/" when no webDir is given. Handed in by the caller
   * (src/web's dashboard stands above src/api and talks to it only through the public API).
   */
  builtinUi?: Hono;
  /** Largest request body (uploads stream through it); default 64 GiB. */
  maxRequestBodySize?: number;
}

export interface ApiServer {
  port: number;
  url: string;
  /** Broadcast a notification to every authenticated websocket client. */
  notify(method: string, params?: unknown[]): void;
  stop(): Promise<void>;
}

/** Largest websocket frame accepted; bigger ones close the socket with 1009 (message too big). */
export const MAX_WS_FRAME = 4 * 1024 * 1024;

const trustEveryone: Authenticator = () => ({ user: null });

function jsonError(err: ApiError): Response {
  return Response.json({ error: { code: err.status, message: err.message } }, { status: err.status });
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const { host, log } = opts;
  const app = new Hono();
  const methods = new MethodTable(host, log);
  const connections = new ConnectionRegistry(log);
  const components: ApiComponent[] = [];
  let authenticator: Authenticator = trustEveryone;
  let server: Server<SocketData> | null = null;

  const remoteIp = (req: Request): string => server?.requestIP(req)?.address ?? "";
  const authenticate = async (req: AuthRequest): Promise<{ user: Caller["user"] } | ApiError> => {
    try {
      return await authenticator(req);
    } catch (e) {
      return toApiError(e, log, "authenticate");
    }
  };
  const ctx: ApiContext = {
    host,
    dataDir: opts.dataDir,
    app,
    log,
    notify: (method, params) => connections.broadcast(method, params),
    componentNames: () => components.map((c) => c.name),
    async authorize(req) {
      const r = await authenticate(req);
      if (r instanceof ApiError) throw r;
      return r.user;
    },
    remoteIp,
    connectionCount: () => connections.count(),
    closeConnections: (code, reason) => connections.closeAll(code, reason),
  };

  for (const factory of opts.components) {
    const component = await factory(ctx);
    components.push(component);
    if (component.authenticate) authenticator = component.authenticate;
  }
  for (const c of components) for (const decl of c.endpoints) methods.add(decl);

  const httpAuth = async (c: Context): Promise<{ caller: Caller; authenticated: boolean }> => {
    const req = c.req.raw;
    const ip = remoteIp(req);
    const r = await authenticate({ transport: "http", ip, headers: req.headers, query: new URL(req.url).searchParams });
    const user = r instanceof ApiError ? null : r.user;
    return { caller: { transport: "http", connectionId: null, ip, user }, authenticated: !(r instanceof ApiError) };
  };

  const routeFor = (decl: EndpointDecl, verb: HttpVerb) => async (c: Context) => {
    try {
      const req = c.req.raw;
      // Refuse before the body is read: an unauthorized request leaves nothing behind
      const { caller, authenticated } = await httpAuth(c);
      if (!authenticated && !decl.public) return jsonError(new ApiError("Unauthorized", 401));
      const args = queryArgs(new URL(req.url).searchParams);
      if (verb !== "GET") Object.assign(args, await bodyArgs(req));
      const result = await methods.run(decl, verb, args, { caller, authenticated, connection: null });
      return c.json({ result: result === undefined ? "ok" : result });
    } catch (e) {
      return jsonError(toApiError(e, log, decl.path));
    }
  };
  for (const comp of components) {
    for (const decl of comp.endpoints) {
      if (decl.transports && !decl.transports.includes("http")) continue;
      for (const verb of decl.verbs) app.on(verb, decl.path, routeFor(decl, verb));
    }
  }

  app.post("/server/jsonrpc", async (c) => {
    let text: string;
    try {
      text = await boundedBodyText(c.req.raw, MAX_ARGS_BODY);
    } catch (e) {
      return jsonError(toApiError(e, log, "/server/jsonrpc"));
    }
    const { caller, authenticated } = await httpAuth(c);
    const reply = await handleJsonRpc(text, methods, { caller, authenticated, connection: null }, log);
    return reply === null ? c.body(null, 204) : c.body(reply, 200, { "content-type": "application/json" });
  });

  if (!opts.webDir && opts.builtinUi) app.route("/", opts.builtinUi);

  app.notFound(async (c) => {
    if (opts.webDir && (c.req.method === "GET" || c.req.method === "HEAD")) {
      const ui = await serveUi(opts.webDir, new URL(c.req.url).pathname);
      if (ui) return ui;
    }
    return jsonError(new ApiError("Not Found", 404));
  });
  app.onError((e) => jsonError(toApiError(e, log, "http")));

  server = Bun.serve<SocketData>({
    port: opts.port,
    hostname: opts.hostname ?? "0.0.0.0",
    maxRequestBodySize: opts.maxRequestBodySize ?? 64 * 1024 ** 3,
    async fetch(req, srv) {
      // A POST may be an action that runs for minutes with nothing sent meanwhile (G28, M109 through
      // gcode/script, as Moonraker holds them): no idle cut-off while it runs (Bun's default is 10 s)
      if (req.method === "POST") srv.timeout(req, 0);
      const url = new URL(req.url);
      if (url.pathname === "/websocket" && req.headers.get("upgrade")?.toLowerCase() === "websocket") {
        const ip = srv.requestIP(req)?.address ?? "";
        const r = await authenticate({ transport: "websocket", ip, headers: req.headers, query: url.searchParams });
        // Websocket auth is lazy (Moonraker): anyone may connect; an unauthenticated socket gets 401s
        const data: SocketData = { connection: null, ip, user: r instanceof ApiError ? undefined : r.user, headers: req.headers, query: url.searchParams };
        if (srv.upgrade(req, { data })) return undefined;
        return jsonError(new ApiError("Websocket upgrade failed", 400));
      }
      return app.fetch(req, srv);
    },
    websocket: {
      maxPayloadLength: MAX_WS_FRAME,
      idleTimeout: 60,
      sendPings: true,
      open(ws) {
        ws.data.connection = connections.open(ws);
      },
      async message(ws, message) {
        const conn = ws.data.connection as WsConnection;
        const text = typeof message === "string" ? message : new TextDecoder().decode(message);
        const reply = await handleJsonRpc(text, methods, { caller: conn.caller(), authenticated: conn.authenticated, connection: conn }, log);
        if (reply !== null) conn.sendText(reply);
      },
      close(ws) {
        if (ws.data.connection) connections.close(ws.data.connection);
      },
    },
  });

  const port = server.port ?? opts.port;
  const shownHost = opts.hostname && opts.hostname !== "0.0.0.0" ? opts.hostname : "127.0.0.1";
  return {
    port,
    url: `http://${shownHost}:${port}`,
    notify: (method, params) => connections.broadcast(method, params),
    async stop() {
      for (const c of components) {
        try {
          await c.close?.();
        } catch (e) {
          log.error(`web API: closing ${c.name} failed: ${(e as Error).stack ?? e}`);
        }
      }
      await server?.stop(true);
      for (const conn of [...connections.all()]) connections.close(conn);
    },
  };
}
