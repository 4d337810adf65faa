// The live Host over its public surface only, on the built-in virtual printer: Klipper's webhooks
// endpoints (info, objects/*, gcode/*, query_endstops/status, emergency_stop), object subscriptions
// with change sets while a move runs, G-code output, and klippy state across FIRMWARE_RESTART.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { HostError, type HostStateInfo, type StatusSnapshot } from "../../src/core/host.ts";
import type { LiveHost } from "../../src/live/host.ts";
import { startVirtualHost, type VirtualHost } from "../support/virtual-host.ts";

setDefaultTimeout(60_000);

let vh: VirtualHost;
let host: LiveHost;

beforeAll(async () => {
  vh = await startVirtualHost("stepline-host-");
  host = vh.host;
});

afterAll(() => vh?.close());

/** Resolves with the first state change for which `pred` holds (fails after 30 s). */
function stateWhere(pred: (s: HostStateInfo) => boolean): Promise<HostStateInfo> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no such state change; now ${JSON.stringify(host.state())}`)), 30_000);
    const off = host.onStateChange((s) => {
      if (!pred(s)) return;
      clearTimeout(timer);
      off();
      resolve(s);
    });
  });
}

async function script(text: string): Promise<string[]> {
  const lines: string[] = [];
  const off = host.onGcodeOutput((l) => lines.push(l));
  try {
    expect(await host.call("gcode/script", { script: text })).toEqual({});
  } finally {
    off();
  }
  return lines;
}

describe("live Host", () => {
  test("is ready, and info reports Klipper's fields", async () => {
    expect(host.state()).toEqual({ state: "ready", message: "Printer is ready" });
    const info = (await host.call("info")) as Record<string, unknown>;
    expect(info.state).toBe("ready");
    expect(info.state_message).toBe("Printer is ready");
    expect(info.software_version).toStartWith("stepline-");
    expect(typeof info.hostname).toBe("string");
    expect(info.process_id).toBe(process.pid);
    expect(info.cpu_info).toMatch(/^\d+ core /);
    for (const key of ["klipper_path", "config_file", "log_file", "python_path"]) expect(key in info).toBe(true);
  });

  test("lists Klipper's endpoint names, registered by the modules that own them", async () => {
    const names = host.endpoints();
    for (const n of ["info", "list_endpoints", "emergency_stop", "objects/list", "objects/query", "objects/subscribe", "gcode/script", "gcode/help", "gcode/restart", "gcode/firmware_restart", "gcode/subscribe_output", "query_endstops/status", "pause_resume/pause", "pause_resume/resume", "pause_resume/cancel"])
      expect(names).toContain(n);
    expect(((await host.call("list_endpoints")) as { endpoints: string[] }).endpoints).toEqual(names);
    const help = (await host.call("gcode/help")) as Record<string, string>;
    expect(help.QUERY_ENDSTOPS).toBe("Report on the status of each endstop");
  });

  test("objects/list and objects/query answer {eventtime, status} with the requested fields", async () => {
    const { objects } = (await host.call("objects/list")) as { objects: string[] };
    expect(objects).toContain("toolhead");
    expect(objects).toContain("webhooks");
    const res = (await host.call("objects/query", { objects: { webhooks: null, toolhead: ["max_velocity", "homed_axes"], nosuch: null } })) as {
      eventtime: number;
      status: StatusSnapshot;
    };
    expect(res.eventtime).toBeGreaterThan(0);
    expect(res.status).toEqual({ webhooks: { state: "ready", state_message: "Printer is ready" }, toolhead: { max_velocity: 300, homed_axes: "" }, nosuch: {} });
    await expect(host.call("objects/query", { objects: { toolhead: "position" } })).rejects.toThrow("Invalid argument");
    await expect(host.call("objects/query", {})).rejects.toThrow("Missing Argument [objects]");
  });

  test("unknown endpoints are not_found", async () => {
    const err = await host.call("no/such").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostError);
    expect((err as HostError).kind).toBe("not_found");
  });

  test("gcode/script resolves after the script ran, with its output; a G-code error rejects with Klipper's message", async () => {
    const out = await script("G28\nM114");
    expect(out.some((l) => l.startsWith("X:0.000 Y:0.000 Z:0.000"))).toBe(true);
    expect(out).not.toContain("ok");
    const lines: string[] = [];
    const off = host.onGcodeOutput((l) => lines.push(l));
    const err = await host.call("gcode/script", { script: "G1 X9999" }).catch((e: unknown) => e);
    off();
    expect(err).toBeInstanceOf(HostError);
    expect((err as HostError).kind).toBe("request");
    expect((err as HostError).message).toStartWith("Move out of range: 9999.000");
    expect(lines.some((l) => l.startsWith("!! Move out of range"))).toBe(true);
  });

  test("query_endstops/status reports each endstop as open or TRIGGERED", async () => {
    const res = (await host.call("query_endstops/status")) as Record<string, string>;
    expect(Object.keys(res)).toHaveLength(3);
    for (const v of Object.values(res)) expect(["open", "TRIGGERED"]).toContain(v);
  });

  test("subscribeObjects sends change sets of the requested fields while a move runs", async () => {
    const changes: StatusSnapshot[] = [];
    const sub = host.subscribeObjects({ motion_report: ["live_position"], toolhead: ["homed_axes"] }, (c) => changes.push(c));
    try {
      expect(sub.status.toolhead).toEqual({ homed_axes: "xyz" });
      expect((sub.status.motion_report!.live_position as number[])[0]).toBeCloseTo(0, 6);
      await script("G1 X60 F3000\nM400");
      // Let the last 250 ms poll see the final position
      await Bun.sleep(600);
    } finally {
      sub.unsubscribe();
    }
    // Only changed fields: homed_axes never changed, so it never appears
    for (const c of changes) expect(Object.keys(c)).toEqual(["motion_report"]);
    const xs = changes.map((c) => (c.motion_report!.live_position as number[])[0]!);
    expect(xs.some((x) => x > 0.5 && x < 59.5)).toBe(true);
    expect(xs.at(-1)).toBeCloseTo(60, 6);
    const updated = sub.update({ toolhead: ["position"] });
    expect((updated.status.toolhead!.position as number[])[0]).toBeCloseTo(60, 6);
    sub.unsubscribe();
  });

  test("emergency_stop shuts down; FIRMWARE_RESTART goes disconnected → startup → ready", async () => {
    const seen: string[] = [];
    const off = host.onStateChange((s) => seen.push(s.state));
    const shutdown = stateWhere((s) => s.state === "shutdown");
    await host.call("emergency_stop");
    expect((await shutdown).message).toStartWith("Shutdown due to webhooks request");
    expect(host.state().state).toBe("shutdown");
    expect(((await host.call("objects/query", { objects: { webhooks: ["state"] } })) as { status: StatusSnapshot }).status.webhooks).toEqual({ state: "shutdown" });

    // Give the MCU time to act on emergency_stop before it is reset, as a user pressing the
    // buttons would (a reset sent at once can still be queued behind the unacknowledged stop)
    await Bun.sleep(500);
    const ready = stateWhere((s) => s.state === "ready");
    await host.call("gcode/firmware_restart");
    await ready;
    off();
    const order = seen.filter((s, i) => s !== seen[i - 1]);
    expect(order).toEqual(["shutdown", "disconnected", "startup", "ready"]);
    // The new instance answers through the same Host
    expect(((await host.call("objects/query", { objects: { toolhead: ["homed_axes"] } })) as { status: StatusSnapshot }).status.toolhead).toEqual({ homed_axes: "" });
  });
});
