// The kernel's own webhooks endpoints (Klipper's GCodeHelper and QueryStatusHelper): gcode/script,
// gcode/help, gcode/restart, gcode/firmware_restart, gcode/subscribe_output, objects/list,
// objects/query and objects/subscribe. Query results are {eventtime, status}, as Klipper sends them.
import type { GCodeDispatcher } from "./gcode/dispatch.ts";
import { StatusHub, type StatusObjects, type StatusRequest } from "./status-hub.ts";
import { type WebConnection, type WebRequest, WebRequestError, type Webhooks } from "./webhooks.ts";

export function registerGcodeEndpoints(webhooks: Webhooks, gcode: GCodeDispatcher): void {
  const clients = new Set<WebConnection>();
  let outputRegistered = false;
  webhooks.registerEndpoint("gcode/help", () => gcode.getCommandHelp());
  webhooks.registerEndpoint("gcode/script", async (req) => {
    await gcode.runScript(req.getStr("script"));
  });
  webhooks.registerEndpoint("gcode/restart", () => gcode.runScript("restart"));
  webhooks.registerEndpoint("gcode/firmware_restart", () => gcode.runScript("firmware_restart"));
  webhooks.registerEndpoint("gcode/subscribe_output", (req) => {
    if (!req.connection) throw new WebRequestError("gcode/subscribe_output needs a client connection");
    clients.add(req.connection);
    if (outputRegistered) return;
    outputRegistered = true;
    gcode.registerOutputHandler((response) => {
      for (const c of [...clients]) {
        if (c.isClosed()) clients.delete(c);
        else c.send({ response });
      }
    });
  });
}

/** What the object endpoints need from the printer (implemented by Printer). */
export interface ObjectEndpointsHost extends StatusObjects {
  registerEventHandler(event: string, cb: () => unknown): void;
}

/** Klipper's validation of an "objects" parameter: object name → list of field names or null. */
function statusRequest(req: WebRequest): StatusRequest {
  const objects = req.getDict("objects")!;
  for (const fields of Object.values(objects)) {
    if (fields === null) continue;
    if (!Array.isArray(fields) || fields.some((f) => typeof f !== "string")) throw new WebRequestError("Invalid argument");
  }
  return objects as StatusRequest;
}

export function registerObjectEndpoints(webhooks: Webhooks, printer: ObjectEndpointsHost, monotonic: () => number): void {
  const hub = new StatusHub(() => printer, monotonic);
  const subscribed = new Map<WebConnection, () => void>();
  printer.registerEventHandler("klippy:disconnect", () => hub.close());
  webhooks.registerEndpoint("objects/list", () => ({ objects: hub.objectNames() }));
  webhooks.registerEndpoint("objects/query", (req) => {
    const eventtime = monotonic();
    return { eventtime, status: hub.query(statusRequest(req), eventtime) };
  });
  webhooks.registerEndpoint("objects/subscribe", (req) => {
    const request = statusRequest(req);
    const conn = req.connection;
    const eventtime = monotonic();
    if (!conn) return { eventtime, status: hub.query(request, eventtime) };
    // A new subscription of the same client replaces its old one, as in Klipper
    subscribed.get(conn)?.();
    const sub = hub.subscribe(request, (status, t) => {
      if (!conn.isClosed()) return conn.send({ eventtime: t, status });
      sub.unsubscribe();
      subscribed.delete(conn);
    });
    subscribed.set(conn, sub.unsubscribe);
    return { eventtime, status: sub.status };
  });
}
