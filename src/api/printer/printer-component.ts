// Moonraker's printer.* endpoints (its klippy_apis component) over the Host: info, objects
// list/query/subscribe, G-code, restarts, print control, endstops; and the klippy notifications.
import * as v from "valibot";
import type { Host, HostStateInfo, ObjectSubscription, StatusRequest } from "../../core/host.ts";
import { ApiError, endpoint, type ApiComponentFactory } from "../endpoint.ts";
import type { GcodeStore } from "../server/gcode-store.ts";

const noParams = v.looseObject({});

/** {objects: {name: [fields] | null}}; over HTTP the query form is "?toolhead=position,homed_axes&extruder". */
const objectsParams = v.looseObject({
  objects: v.optional(v.record(v.string(), v.nullable(v.union([v.array(v.string()), v.string()])))),
});

function statusRequest(params: v.InferOutput<typeof objectsParams>): StatusRequest {
  const raw: Record<string, unknown> = params.objects ?? httpObjectArgs(params);
  const req: StatusRequest = {};
  for (const [name, fields] of Object.entries(raw)) {
    if (fields === null || fields === undefined || fields === "") req[name] = null;
    else if (typeof fields === "string") req[name] = fields.split(",").map((f) => f.trim()).filter((f) => f !== "");
    else if (Array.isArray(fields)) req[name] = fields.length === 0 ? null : fields.map(String);
    else throw new ApiError(`Invalid field list for object '${name}'`, 400);
  }
  return req;
}

/** HTTP form of a query: every other query argument names an object (value: comma-separated fields). */
function httpObjectArgs(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(params)) if (k !== "objects") out[k] = val;
  return out;
}

const KLIPPY_NOTIFICATIONS: Partial<Record<HostStateInfo["state"], string>> = {
  ready: "notify_klippy_ready",
  shutdown: "notify_klippy_shutdown",
  disconnected: "notify_klippy_disconnected",
};

export function printerComponent(gcodeStore: GcodeStore): ApiComponentFactory {
  return (ctx) => {
    const host: Host = ctx.host;
    const unlistenOutput = host.onGcodeOutput((line) => ctx.notify("notify_gcode_response", [line]));
    let lastState = host.state().state;
    const unlistenState = host.onStateChange((info) => {
      const method = KLIPPY_NOTIFICATIONS[info.state];
      // Moonraker says "disconnected" once per connection loss, "ready" once per start
      if (method && info.state !== lastState) ctx.notify(method);
      lastState = info.state;
    });
    /** Each websocket connection's one subscription (a new subscribe replaces it). */
    const subscriptions = new Map<number, ObjectSubscription>();

    const runGcode = async (script: string): Promise<string> => {
      gcodeStore.add(script, "command");
      await host.call("gcode/script", { script });
      return "ok";
    };

    return {
      name: "klippy_apis",
      close() {
        unlistenOutput();
        unlistenState();
        for (const s of subscriptions.values()) s.unsubscribe();
        subscriptions.clear();
      },
      endpoints: [
        endpoint({
          path: "/printer/info",
          verbs: ["GET"],
          needsKlippy: "connected",
          params: noParams,
          handler: () => host.call("info", {}),
        }),
        endpoint({
          path: "/printer/objects/list",
          verbs: ["GET"],
          needsKlippy: "connected",
          params: noParams,
          handler: () => host.call("objects/list", {}),
        }),
        endpoint({
          path: "/printer/objects/query",
          verbs: ["GET", "POST"],
          rpcNames: { GET: "printer.objects.query", POST: "printer.objects.query" },
          needsKlippy: "connected",
          params: objectsParams,
          handler: ({ params }) => host.call("objects/query", { objects: statusRequest(params) }),
        }),
        endpoint({
          path: "/printer/objects/subscribe",
          verbs: ["POST"],
          rpcNames: { POST: "printer.objects.subscribe" },
          transports: ["websocket"],
          needsKlippy: "connected",
          params: objectsParams,
          handler: ({ params, connection }) => {
            if (!connection) throw new ApiError("printer.objects.subscribe needs a websocket connection", 400);
            const request = statusRequest(params);
            const existing = subscriptions.get(connection.id);
            if (existing) return existing.update(request);
            const sub = host.subscribeObjects(request, (changes, eventtime) => connection.send("notify_status_update", [changes, eventtime]));
            subscriptions.set(connection.id, sub);
            connection.onClose(() => {
              subscriptions.get(connection.id)?.unsubscribe();
              subscriptions.delete(connection.id);
            });
            return { eventtime: sub.eventtime, status: sub.status };
          },
        }),
        endpoint({
          path: "/printer/gcode/script",
          verbs: ["POST"],
          needsKlippy: true,
          params: v.looseObject({ script: v.string() }),
          handler: ({ params }) => runGcode(params.script),
        }),
        endpoint({
          path: "/printer/gcode/help",
          verbs: ["GET"],
          needsKlippy: "connected",
          params: noParams,
          handler: () => host.call("gcode/help", {}),
        }),
        endpoint({
          path: "/printer/emergency_stop",
          verbs: ["POST"],
          needsKlippy: "connected",
          params: noParams,
          handler: async () => {
            await host.call("emergency_stop", {});
            return "ok";
          },
        }),
        endpoint({
          path: "/printer/restart",
          verbs: ["POST"],
          needsKlippy: "connected",
          params: noParams,
          handler: async () => {
            await host.call("gcode/restart", {});
            return "ok";
          },
        }),
        endpoint({
          path: "/printer/firmware_restart",
          verbs: ["POST"],
          needsKlippy: "connected",
          params: noParams,
          handler: async () => {
            await host.call("gcode/firmware_restart", {});
            return "ok";
          },
        }),
        endpoint({
          path: "/printer/print/start",
          verbs: ["POST"],
          needsKlippy: true,
          params: v.looseObject({ filename: v.pipe(v.string(), v.minLength(1)) }),
          handler: async ({ params }) => {
            const filename = params.filename.replace(/^\/+/, "").replace(/^gcodes\//, "");
            if (/["\n\r]/.test(filename)) throw new ApiError(`Invalid filename: ${JSON.stringify(filename)}`, 400);
            const status = (await host.call("objects/query", { objects: { print_stats: ["state"] } })) as { status: { print_stats?: { state?: string } } };
            const state = status.status.print_stats?.state;
            if (state === "printing" || state === "paused") throw new ApiError("Printer is busy: a print is in progress", 409);
            return runGcode(`SDCARD_PRINT_FILE FILENAME="${filename}"`);
          },
        }),
        endpoint({
          path: "/printer/print/pause",
          verbs: ["POST"],
          needsKlippy: true,
          params: noParams,
          handler: () => runGcode("PAUSE"),
        }),
        endpoint({
          path: "/printer/print/resume",
          verbs: ["POST"],
          needsKlippy: true,
          params: noParams,
          handler: () => runGcode("RESUME"),
        }),
        endpoint({
          path: "/printer/print/cancel",
          verbs: ["POST"],
          needsKlippy: true,
          params: noParams,
          handler: () => runGcode("CANCEL_PRINT"),
        }),
        endpoint({
          path: "/printer/query_endstops/status",
          verbs: ["GET"],
          needsKlippy: true,
          params: noParams,
          handler: () => host.call("query_endstops/status", {}),
        }),
      ],
    };
  };
}
