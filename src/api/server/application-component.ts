// The server's own endpoints (Moonraker's application/websockets core): server.info, server.config,
// server.restart, server.connection.identify, server.websocket.id.
import * as v from "valibot";
import pkg from "../../../package.json" with { type: "json" };
import { ApiError, endpoint, type ApiComponentFactory } from "../endpoint.ts";
import { GCODE_STORE_SIZE } from "./gcode-store.ts";
import { TEMPERATURE_STORE_SIZE } from "./temperature-store.ts";

export const API_VERSION = [1, 5, 0] as const;
/** Moonraker-style version (semver before the first "-"), so the UIs' update checks stay quiet. */
export const SERVER_VERSION = `v0.10.0-0-stepline-${pkg.version}`;

export interface ApplicationOptions {
  /** What server.config reports about this server (address and port it listens on). */
  listen: () => { host: string; port: number };
}

/** The roots Moonraker's file manager registers, when a file manager component is present. */
const FILE_ROOTS = ["gcodes", "config", "logs"];

export function applicationComponent(opts: ApplicationOptions): ApiComponentFactory {
  return (ctx) => ({
    name: "application",
    endpoints: [
      endpoint({
        path: "/server/info",
        verbs: ["GET"],
        params: v.looseObject({}),
        handler: () => {
          const { state } = ctx.host.state();
          return {
            klippy_connected: state !== "disconnected",
            klippy_state: state,
            components: ctx.componentNames(),
            failed_components: [],
            registered_directories: ctx.componentNames().includes("file_manager") ? FILE_ROOTS : [],
            warnings: [],
            websocket_count: ctx.connectionCount(),
            moonraker_version: SERVER_VERSION,
            missing_klippy_requirements: [],
            api_version: [...API_VERSION],
            api_version_string: API_VERSION.join("."),
          };
        },
      }),
      endpoint({
        path: "/server/config",
        verbs: ["GET"],
        params: v.looseObject({}),
        handler: () => {
          const config = {
            server: { ...opts.listen(), klippy_uds_address: null },
            data_store: { temperature_store_size: TEMPERATURE_STORE_SIZE, gcode_store_size: GCODE_STORE_SIZE },
          };
          return { config, orig: config, files: [] };
        },
      }),
      endpoint({
        path: "/server/restart",
        verbs: ["POST"],
        params: v.looseObject({}),
        handler: () => {
          // After the reply is on its way: clients see the socket close and run their connect sequence again
          setTimeout(() => ctx.closeConnections(1012, "server restart"), 50);
          return "ok";
        },
      }),
      endpoint({
        path: "/server/connection/identify",
        verbs: ["POST"],
        transports: ["websocket"],
        public: true,
        params: v.looseObject({
          client_name: v.string(),
          version: v.string(),
          type: v.picklist(["web", "mobile", "desktop", "display", "bot", "agent", "other"]),
          url: v.string(),
          access_token: v.optional(v.nullable(v.string())),
          api_key: v.optional(v.nullable(v.string())),
        }),
        handler: async ({ params, connection, caller }) => {
          if (!connection) throw new ApiError("identify needs a websocket connection", 400);
          if (connection.identity) throw new ApiError(`Connection already identified (${connection.identity.client_name})`, 400);
          if (params.access_token || params.api_key) {
            const user = await ctx.authorize({
              transport: "websocket",
              ip: caller.ip,
              headers: new Headers(),
              query: new URLSearchParams(),
              credentials: { accessToken: params.access_token ?? undefined, apiKey: params.api_key ?? undefined },
            });
            connection.authenticate(user);
          }
          if (!connection.authenticated) throw new ApiError("Unauthorized", 401);
          connection.identity = { client_name: params.client_name, version: params.version, type: params.type, url: params.url };
          ctx.log.info(`websocket ${connection.id}: ${params.client_name} ${params.version} (${params.type}) from ${caller.ip}`);
          return { connection_id: connection.id };
        },
      }),
      endpoint({
        path: "/server/websocket/id",
        verbs: ["GET"],
        transports: ["websocket"],
        params: v.looseObject({}),
        handler: ({ connection }) => ({ websocket_id: connection?.id ?? null }),
      }),
    ],
  });
}
