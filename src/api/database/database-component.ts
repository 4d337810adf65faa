// Moonraker's server.database.* endpoints (list, get_item, post_item, delete_item) over the Database:
// the UIs keep their settings in namespaces of their own ("mainsail", "fluidd", "maintenance").
import * as v from "valibot";
import { ApiError, endpoint, type ApiComponent, type ApiContext } from "../endpoint.ts";
import type { Database } from "./database.ts";

/** Namespaces only the server reads and writes (auth secrets). */
const FORBIDDEN = new Set(["authorized_users"]);
/** Namespaces clients may read but only the server's own APIs write. */
const READ_ONLY = new Set(["moonraker", "history", "database"]);

const key = v.union([v.pipe(v.string(), v.minLength(1)), v.pipe(v.array(v.string()), v.minLength(1))]);
const namespace = v.pipe(v.string(), v.minLength(1));

function checkAccess(ns: string, write: boolean): void {
  if (FORBIDDEN.has(ns) || (write && READ_ONLY.has(ns))) throw new ApiError(`${write ? "Write" : "Read"} access to namespace '${ns}' is forbidden`, 403);
}

export function createDatabaseComponent(_ctx: ApiContext, opts: { db: Database }): ApiComponent {
  const { db } = opts;
  return {
    name: "database",
    endpoints: [
      endpoint({
        path: "/server/database/list",
        verbs: ["GET"],
        params: v.object({ root: v.optional(v.string()) }),
        handler: () => ({ namespaces: db.namespaces().filter((ns) => !FORBIDDEN.has(ns)), backups: [] }),
      }),
      endpoint({
        path: "/server/database/item",
        verbs: ["GET", "POST", "DELETE"],
        params: v.object({ namespace, key: v.optional(v.nullable(key)), value: v.optional(v.unknown()) }),
        handler: ({ params, verb }) => {
          const ns = params.namespace;
          checkAccess(ns, verb !== "GET");
          const k = params.key ?? null;
          if (verb === "GET") return { namespace: ns, key: k, value: db.get(ns, k) };
          if (k === null) throw new ApiError("Database key missing", 400);
          if (verb === "DELETE") return { namespace: ns, key: k, value: db.delete(ns, k) };
          if (params.value === undefined) throw new ApiError("Database value missing", 400);
          db.set(ns, k, params.value);
          return { namespace: ns, key: k, value: params.value };
        },
      }),
    ],
    close: () => db.close(),
  };
}
