// The printer, server and machine endpoints against the built-in virtual printer, from a plain
// websocket client and over HTTP: what Mainsail and Fluidd call at connect, subscriptions with
// change sets while moving, G-code output and errors, print start/pause/resume/cancel, the
// keep-alive cadence, and 503 gating with klippy notifications across FIRMWARE_RESTART.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { RpcClient } from "./rpc-client.ts";
import { type ApiRig, startApiRig } from "./printer-rig.ts";

setDefaultTimeout(60_000);

let rig: ApiRig;
let ws: RpcClient;

beforeAll(async () => {
  rig = await startApiRig();
  ws = await RpcClient.connect(rig.api.url);
  await ws.call("server.connection.identify", { client_name: "test", version: "1", type: "other", url: "http://test" });
});
afterAll(async () => {
  ws.close();
  await rig.stop();
});

// biome-ignore lint: bodies are checked by value
type Json = any;
const http = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> => {
  const r = await fetch(rig.api.url + path, body === undefined ? { method } : { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
};

describe("connect sequence", () => {
  test("server.info lists only components whose methods answer, and klippy is ready", async () => {
    const info = await ws.call<Json>("server.info");
    expect(info).toMatchObject({ klippy_connected: true, klippy_state: "ready", api_version_string: "1.5.0", websocket_count: 1 });
    const probes: Record<string, [string, Record<string, unknown>?]> = {
      klippy_apis: ["printer.info"],
      data_store: ["server.gcode_store"],
      machine: ["machine.proc_stats"],
      webcam: ["server.webcams.list"],
      announcements: ["server.announcements.list"],
      update_manager: ["machine.update.status"],
      application: ["server.config"],
      authorization: ["access.get_user"],
      database: ["server.database.list"],
      history: ["server.history.totals"],
      job_queue: ["server.job_queue.status"],
      file_manager: ["server.files.roots"],
      octoprint_compat: ["server.info"],
    };
    expect([...info.components].sort()).toEqual(Object.keys(probes).sort());
    for (const [method, params] of Object.values(probes)) expect((await ws.request(method, params)).error).toBeUndefined();
  });

  test("every call of Mainsail's and Fluidd's startup that this server owns answers with the shapes they read", async () => {
    const batch = await Promise.all([
      ws.call<Json>("server.config"),
      ws.call<Json>("machine.system_info"),
      ws.call<Json>("machine.proc_stats"),
      ws.call<Json>("server.webcams.list"),
      ws.call<Json>("printer.info"),
      ws.call<Json>("server.gcode_store"),
      ws.call<Json>("printer.objects.list"),
      ws.call<Json>("printer.gcode.help"),
      ws.call<Json>("server.temperature_store", { include_monitors: true }),
      ws.call<Json>("printer.objects.query", { objects: { gcode: ["commands"] } }),
      ws.call<Json>("server.websocket.id"),
    ]);
    const [config, sysinfo, proc, webcams, pinfo, gstore, list, help, temps, gcodeCmds, wsid] = batch;
    expect(config.config.data_store).toEqual({ temperature_store_size: 1200, gcode_store_size: 1000 });
    expect(sysinfo.system_info.cpu_info.cpu_count).toBeGreaterThan(0);
    expect(proc.moonraker_stats).toBeArray();
    expect(proc.system_memory.total).toBeGreaterThan(0);
    expect(webcams).toEqual({ webcams: [] });
    expect(pinfo).toMatchObject({ state: "ready", state_message: "Printer is ready" });
    expect(gstore.gcode_store).toBeArray();
    expect(list.objects).toContain("toolhead");
    expect(list.objects).toContain("heaters");
    expect(Object.keys(help)).toContain("SDCARD_PRINT_FILE");
    expect(Object.keys(gcodeCmds.status.gcode.commands)).toContain("G28");
    expect(wsid.websocket_id).toBeNumber();
    // The 1 Hz temperature history has samples for the heaters the `heaters` object lists
    const heaters = (await ws.call<Json>("printer.objects.query", { objects: { heaters: null } })).status.heaters;
    for (const s of heaters.available_sensors) expect(Object.keys(temps[s]).sort()).toEqual(["powers", "targets", "temperatures"]);
  });

  test("identify is one-shot per connection", async () => {
    const again = await ws.request("server.connection.identify", { client_name: "test", version: "1", type: "other", url: "x" });
    expect(again.error?.code).toBe(400);
    expect(again.error?.message).toContain("already identified");
  });

  test("methods of components that are not here answer -32601, never silence", async () => {
    for (const m of ["machine.device_power.devices", "server.spoolman.status", "server.sensors.list", "machine.timelapse.get_settings"]) {
      expect((await ws.request(m, {})).error?.code).toBe(-32601);
    }
  });

  test("machine.reboot and machine.shutdown are refused unless allowed", async () => {
    const r = await http("POST", "/machine/reboot");
    expect(r.status).toBe(403);
    expect(r.body.error.message).toContain("--allow-power-control");
    expect((await ws.request("machine.shutdown")).error?.code).toBe(403);
  });
});

describe("printer", () => {
  test("objects.query over HTTP: Moonraker's ?object=field,field form and the JSON form agree", async () => {
    const a = await http("GET", "/printer/objects/query?toolhead=homed_axes,axis_maximum&webhooks");
    const b = await http("POST", "/printer/objects/query", { objects: { toolhead: ["homed_axes", "axis_maximum"], webhooks: null } });
    expect(a.status).toBe(200);
    expect(Object.keys(a.body.result.status.toolhead).sort()).toEqual(["axis_maximum", "homed_axes"]);
    expect(a.body.result.status.webhooks.state).toBe("ready");
    expect(b.body.result.status).toEqual(a.body.result.status);
  });

  test("subscribe answers the full snapshot, then change sets [changes, eventtime] while the toolhead moves", async () => {
    const sub = await ws.call<Json>("printer.objects.subscribe", { objects: { toolhead: ["position", "homed_axes", "axis_maximum"], gcode_move: ["gcode_position"] } });
    expect(Object.keys(sub.status.toolhead).sort()).toEqual(["axis_maximum", "homed_axes", "position"]);
    const from = ws.notifications.length;
    await ws.call("printer.gcode.script", { script: "G28\nG1 X60 Y40 F6000" });
    const updates = () => ws.notifications.slice(from).filter((n) => n.msg.method === "notify_status_update").map((n) => n.msg.params as [Json, number]);
    await ws.until(() => updates().some(([c]) => c.toolhead?.position?.[0] === 60 && c.toolhead?.position?.[1] === 40) || null, 20_000, "position 60,40");
    const seen = updates();
    expect(seen.some(([c]) => c.toolhead?.homed_axes === "xyz")).toBe(true);
    for (const [changes, eventtime] of seen) {
      expect(eventtime).toBeNumber();
      // Only what changed: axis_maximum never changes, so it is never re-sent
      expect(changes.toolhead?.axis_maximum).toBeUndefined();
    }
    const times = seen.map(([, t]) => t);
    expect([...times].sort((x, y) => x - y)).toEqual(times);
  });

  test("a new subscribe replaces the connection's previous one", async () => {
    const sub = await ws.call<Json>("printer.objects.subscribe", { objects: { gcode_move: ["speed_factor"] } });
    expect(Object.keys(sub.status)).toEqual(["gcode_move"]);
    const from = ws.notifications.length;
    await ws.call("printer.gcode.script", { script: "M220 S150\nG1 X20 F6000\nM400" });
    const updates = () => ws.notifications.slice(from).filter((n) => n.msg.method === "notify_status_update").map((n) => (n.msg.params as [Json])[0]);
    await ws.until(() => updates().some((c) => c.gcode_move?.speed_factor === 1.5) || null, 10_000, "speed_factor 1.5");
    expect(updates().every((c) => c.toolhead === undefined)).toBe(true);
    await ws.call("printer.gcode.script", { script: "M220 S100" });
  });

  test("G-code output goes to notify_gcode_response and the gcode store; a G-code error is a 400 with Klipper's text", async () => {
    const from = ws.notifications.length;
    expect(await ws.call("printer.gcode.script", { script: "NO_SUCH_COMMAND_XYZ" })).toBe("ok");
    const line = await ws.until(() => ws.notifications.slice(from).find((n) => n.msg.method === "notify_gcode_response" && String(n.msg.params?.[0]).includes("NO_SUCH_COMMAND_XYZ")), 5000, "unknown-command response");
    expect(line.msg.params).toEqual([expect.stringContaining("Unknown command")]);
    const err = await http("POST", "/printer/gcode/script", { script: "G1 X9999" });
    expect(err.status).toBe(400);
    expect(err.body.error.message).toContain("Move out of range");
    const store = (await ws.call<Json>("server.gcode_store")).gcode_store as { message: string; type: string }[];
    expect(store).toContainEqual(expect.objectContaining({ message: "NO_SUCH_COMMAND_XYZ", type: "command" }));
    expect(store.some((e) => e.type === "response" && e.message.includes("Unknown command"))).toBe(true);
    expect((await ws.call<Json>("server.gcode_store", { count: 1 })).gcode_store).toHaveLength(1);
  });

  test("query_endstops.status reports each endstop", async () => {
    const r = await http("GET", "/printer/query_endstops/status");
    expect(Object.keys(r.body.result).sort()).toEqual(["stepper_x", "stepper_y", "stepper_z"]);
    for (const v of Object.values(r.body.result)) expect(["open", "TRIGGERED"]).toContain(v as string);
  });

  test("print start, pause, resume, cancel walk print_stats through printing, paused, printing, cancelled", async () => {
    const lines = ["G28", "G90"];
    for (let i = 0; i < 40; i++) lines.push(`G1 X${i % 2 ? 150 : 20} Y${20 + i} F1200`);
    writeFileSync(join(rig.dirs.gcodes, "api test.gcode"), lines.join("\n") + "\n");
    const state = async () => (await ws.call<Json>("printer.objects.query", { objects: { print_stats: ["state", "filename"] } })).status.print_stats;
    await ws.call("printer.objects.subscribe", { objects: { print_stats: ["state"] } });
    // Each step waits for the print_stats.state change set that follows its request
    let from = ws.notifications.length;
    const mark = () => (from = ws.notifications.length);
    const reached = (s: string) =>
      ws.until(() => ws.notifications.slice(from).some((n) => n.msg.method === "notify_status_update" && (n.msg.params?.[0] as Json).print_stats?.state === s) || null, 20_000, `print_stats.state ${s}`);
    mark();
    expect((await http("POST", "/printer/print/start", { filename: "api test.gcode" })).body).toEqual({ result: "ok" });
    await reached("printing");
    expect((await state()).filename).toBe("api test.gcode");
    // A second start while printing is refused, the print goes on
    expect((await ws.request("printer.print.start", { filename: "api test.gcode" })).error?.code).toBe(409);
    mark();
    expect(await ws.call("printer.print.pause")).toBe("ok");
    await reached("paused");
    mark();
    expect(await ws.call("printer.print.resume")).toBe("ok");
    await reached("printing");
    mark();
    expect(await ws.call("printer.print.cancel")).toBe("ok");
    await reached("cancelled");
  });
});

describe("keep-alive and klippy state", () => {
  test("the temperature store gains one sample per second for each heater", async () => {
    const first = (await ws.call<Json>("server.temperature_store")).extruder.temperatures.length;
    // Two proc stat ticks later (same 1 s cadence) at least one more sample is there
    const from = ws.named("notify_proc_stat_update").length;
    await ws.until(() => ws.named("notify_proc_stat_update").length >= from + 2, 10_000, "two ticks");
    const later = await ws.call<Json>("server.temperature_store");
    expect(later.extruder.temperatures.length).toBeGreaterThan(first);
    expect(later.extruder.targets.length).toBe(later.extruder.temperatures.length);
    expect(later.heater_bed.temperatures.at(-1)).toBeGreaterThan(0);
  });

  test("an idle client hears something at least every ~1 s (notify_proc_stat_update), far inside the UIs' 10 s watchdog", async () => {
    const idle = await RpcClient.connect(rig.api.url);
    try {
      await idle.call("server.connection.identify", { client_name: "idle", version: "1", type: "other", url: "x" });
      await idle.until(() => idle.named("notify_proc_stat_update").length >= 4, 15_000, "four proc stat updates");
      const at = idle.notifications.map((n) => n.at);
      const gaps = at.slice(1).map((t, i) => t - at[i]!);
      expect(Math.max(...gaps)).toBeLessThan(5000);
      const stat = idle.named("notify_proc_stat_update")[0]!.params![0] as Json;
      expect(stat.moonraker_stats.memory).toBeGreaterThan(0);
      expect(stat.websocket_connections).toBeGreaterThanOrEqual(2);
    } finally {
      idle.close();
    }
  });

  test("FIRMWARE_RESTART: disconnected notification, 503 while not ready, ready notification, subscription keeps going", async () => {
    await ws.call("printer.objects.subscribe", { objects: { webhooks: ["state"], toolhead: ["position"] } });
    const from = ws.notifications.length;
    const after = () => ws.notifications.slice(from).map((n) => n.msg);
    expect(await ws.call("printer.firmware_restart")).toBe("ok");
    await ws.until(() => after().find((m) => m.method === "notify_klippy_disconnected"), 20_000, "notify_klippy_disconnected");
    // Right after the disconnect the printer is not ready: G-code is gated with 503
    const gated = await ws.request("printer.gcode.script", { script: "G28" });
    const info = await ws.call<Json>("server.info");
    if (info.klippy_state !== "ready") expect(gated.error?.code).toBe(503);
    await ws.until(() => after().find((m) => m.method === "notify_klippy_ready"), 30_000, "notify_klippy_ready");
    expect((await ws.call<Json>("server.info")).klippy_state).toBe("ready");
    expect(await ws.call("printer.gcode.script", { script: "G28\nG1 X30 F6000" })).toBe("ok");
    await ws.until(() => after().some((m) => m.method === "notify_status_update" && (m.params?.[0] as Json).toolhead?.position?.[0] === 30), 20_000, "position after restart");
  });
});
