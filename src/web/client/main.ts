// The Stepline dashboard's entry: connect to the web API's websocket, identify, follow klippy's
// state (server.info / printer.info / notify_klippy_*), subscribe to the printer objects the panels
// show, and wire the panels. Uses only the public Moonraker-compatible API.
import { accessPanel } from "./access-panel.ts";
import { App } from "./app.ts";
import { consolePanel } from "./console-panel.ts";
import { byId, setText } from "./dom.ts";
import { filesPanel } from "./files-panel.ts";
import { jobPanel } from "./job-panel.ts";
import { motionPanel } from "./motion-panel.ts";
import { printerPanel } from "./printer-panel.ts";
import { Rpc, RpcError, storedApiKey } from "./rpc.ts";
import { StatusStore, type Status } from "./store.ts";
import { tempsPanel } from "./temps-panel.ts";
import { webcamPanel } from "./webcam-panel.ts";

/** Objects every panel reads; sensors are added from `heaters` and the object list. */
const OBJECTS = ["webhooks", "toolhead", "gcode_move", "print_stats", "virtual_sdcard", "display_status", "pause_resume", "idle_timeout", "heaters", "fan"];
const SENSOR_OBJECT = /^(extruder\d*|heater_bed|heater_generic |temperature_sensor |temperature_fan )/;

const proto = location.protocol === "https:" ? "wss:" : "ws:";
const rpc = new Rpc(`${proto}//${location.host}/websocket`);
const store = new StatusStore();
const app = new App(rpc, store);
const conn = byId("conn");

printerPanel(app);
jobPanel(app);
motionPanel(app);
const temps = tempsPanel(app);
const files = filesPanel(app);
const gconsole = consolePanel(app);
const webcams = webcamPanel(app);
const access = accessPanel(app);

let pollTimer: ReturnType<typeof setTimeout> | null = null;
let subscribed = false;

function pollSoon(): void {
  if (pollTimer) clearTimeout(pollTimer);
  pollTimer = setTimeout(() => void refreshKlippy(), 2000);
}

/** Subscribe to what the panels show; the reply is the full snapshot, later diffs come by notification. */
async function subscribe(): Promise<void> {
  const { objects } = await rpc.call<{ objects: string[] }>("printer.objects.list");
  const wanted: Record<string, null> = {};
  for (const o of [...OBJECTS, ...objects.filter((o) => SENSOR_OBJECT.test(o))]) if (objects.includes(o)) wanted[o] = null;
  const r = await rpc.call<{ status: Status }>("printer.objects.subscribe", { objects: wanted });
  store.reset();
  store.merge(r.status);
  subscribed = true;
  await temps.loadHistory();
}

/** Follow klippy: subscribe once ready, otherwise show its message and ask again in 2 s. */
async function refreshKlippy(): Promise<void> {
  if (!rpc.connected) return;
  try {
    const info = await rpc.call<{ klippy_connected: boolean; klippy_state: string }>("server.info");
    if (!info.klippy_connected) {
      app.setKlippy({ state: "disconnected", message: "The printer host is not connected" });
      subscribed = false;
      pollSoon();
      return;
    }
    const p = await rpc.call<{ state: string; state_message: string }>("printer.info");
    app.setKlippy({ state: p.state, message: p.state_message });
    if (p.state === "ready") {
      if (!subscribed) await subscribe();
    } else {
      subscribed = false;
      pollSoon();
    }
  } catch (e) {
    if (e instanceof RpcError && e.code === -1) return; // socket closed: reconnect handles it
    app.setKlippy({ state: "error", message: (e as Error).message });
    pollSoon();
  }
}

rpc.on("notify_status_update", (params) => {
  const changes = params[0];
  if (changes && typeof changes === "object") store.merge(changes as Status);
  const wh = store.get("webhooks");
  if (typeof wh.state === "string") app.setKlippy({ state: wh.state, message: typeof wh.state_message === "string" ? wh.state_message : app.klippy.message });
});
rpc.on("notify_klippy_ready", () => {
  subscribed = false;
  void refreshKlippy();
});
rpc.on("notify_klippy_shutdown", () => void refreshKlippy());
rpc.on("notify_klippy_disconnected", () => {
  subscribed = false;
  app.setKlippy({ state: "disconnected", message: "The printer host is restarting" });
  pollSoon();
});
rpc.on("notify_webcams_changed", () => void webcams.refresh());

rpc.onOpen = async () => {
  setText(conn, "connected");
  conn.className = "badge ok";
  subscribed = false;
  try {
    const key = storedApiKey();
    await rpc.call("server.connection.identify", { client_name: "stepline-dashboard", version: "1.0.0", type: "web", url: location.href, ...(key ? { api_key: key } : {}) });
  } catch (e) {
    // Unauthorized: the key field in "Network & access" is the way in
    setText(conn, "not authorized");
    conn.className = "badge bad";
    console.warn("dashboard: identify failed", e);
  }
  let info: { moonraker_version?: string; api_version_string?: string } = {};
  try {
    info = await rpc.call("server.info");
  } catch (e) {
    console.warn("dashboard: server.info failed", e);
  }
  await Promise.all([refreshKlippy(), files.refresh(), gconsole.loadStore(), webcams.refresh()]);
  let hostname = "";
  try {
    hostname = (await rpc.call<{ hostname?: string }>("printer.info")).hostname ?? "";
  } catch {
    // klippy not up: the host name is cosmetic
  }
  await access.refresh(info, hostname);
  document.body.dataset.ready = "1";
};
rpc.onClose = () => {
  setText(conn, "offline");
  conn.className = "badge bad";
  app.setKlippy({ state: "offline", message: "No connection to the printer host: retrying" });
  delete document.body.dataset.ready;
};
rpc.connect();
