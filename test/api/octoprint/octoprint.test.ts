// The OctoPrint emulation as slicers use it, over real HTTP: PrusaSlicer/OrcaSlicer's "Test"
// (GET /api/version, text starting with "OctoPrint"), the upload to /api/files/local with print=true,
// Cura's OctoPrint plugin (login, server, printer, job, select+print).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FilesRig, uploadForm } from "../files/support.ts";
import { prusaGcode } from "../files/slicer-samples.ts";

let rig: FilesRig;
beforeAll(async () => {
  rig = await FilesRig.start({ watch: false });
});
afterAll(() => rig.close());

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function get(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(new URL(path, rig.base), { headers: { "X-Api-Key": "any" } });
  return { status: res.status, body: await res.json() };
}

describe("OctoPrint emulation", () => {
  test("version and server: what the slicers' connection test needs", async () => {
    const v = await get("/api/version");
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({ server: "1.5.0", api: "0.1" });
    expect(v.body.text.startsWith("OctoPrint")).toBe(true);
    expect((await get("/api/server")).body).toEqual({ server: "1.5.0", safemode: null });
    const login = await fetch(new URL("/api/login", rig.base), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ passive: true }) });
    expect(await login.json()).toMatchObject({ name: "_api", admin: true, groups: ["admins", "users"], _login_mechanism: "apikey" });
  });

  test("printer: heater temperatures as tool0/bed and state flags from print_stats", async () => {
    rig.host.heaters = { extruder: { temperature: 210.456, target: 215 }, heater_bed: { temperature: 59.9, target: 60 } };
    const p = (await get("/api/printer")).body;
    expect(p.temperature).toEqual({ tool0: { actual: 210.46, offset: 0, target: 215 }, bed: { actual: 59.9, offset: 0, target: 60 } });
    expect(p.state).toMatchObject({ text: "Operational", flags: { operational: true, ready: true, printing: false, closedOrError: false } });
    const profiles = (await get("/api/printerprofiles")).body;
    expect(profiles.profiles._default.heatedBed).toBe(true);
  });

  test("PrusaSlicer-style upload to /api/files/local with print=true: 201, Location, print started", async () => {
    const text = prusaGcode(2);
    const res = await fetch(new URL("/api/files/local", rig.base), {
      method: "POST",
      headers: { "X-Api-Key": "any" },
      body: uploadForm("cube_0.2mm_PLA_MK3S_12m.gcode", text, { path: "", print: "true" }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`${rig.base}/api/files/moonraker/gcodes/cube_0.2mm_PLA_MK3S_12m.gcode`);
    expect(await res.json()).toMatchObject({ item: { root: "gcodes", path: "cube_0.2mm_PLA_MK3S_12m.gcode" }, print_started: true, action: "create_file" });
    expect(readFileSync(join(rig.dir.path, "gcodes/cube_0.2mm_PLA_MK3S_12m.gcode"), "utf8")).toBe(text);
    expect(rig.host.scripts.at(-1)).toBe('SDCARD_PRINT_FILE FILENAME="cube_0.2mm_PLA_MK3S_12m.gcode"');
    const job = (await get("/api/job")).body;
    expect(job.state).toBe("Printing");
    expect(job.job.file.name).toBe("cube_0.2mm_PLA_MK3S_12m.gcode");
    expect((await get("/api/printer")).body.state.flags).toMatchObject({ printing: true, ready: false });
  });

  test("Cura's OctoPrint flow: upload with select, then select+print (409 while busy)", async () => {
    const up = await fetch(new URL("/api/files/local", rig.base), { method: "POST", body: uploadForm("cura.gcode", "G28\n", { select: "true", print: "false" }) });
    expect(up.status).toBe(201);
    expect(((await up.json()) as { print_started: boolean }).print_started).toBe(false);
    const busy = await fetch(new URL("/api/files/moonraker/gcodes/cura.gcode", rig.base), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ command: "select", print: true }),
    });
    expect(busy.status).toBe(409);
    rig.host.printStats = { state: "complete", filename: "cube_0.2mm_PLA_MK3S_12m.gcode" };
    const ok = await fetch(new URL("/api/files/moonraker/gcodes/cura.gcode", rig.base), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ command: "select", print: true }),
    });
    expect(ok.status).toBe(204);
    expect(rig.host.scripts.at(-1)).toBe('SDCARD_PRINT_FILE FILENAME="cura.gcode"');
  });

  test("printer/command runs each G-code line through the Host", async () => {
    const res = await fetch(new URL("/api/printer/command", rig.base), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ commands: ["M105", "G28 X"] }),
    });
    expect(await res.json()).toEqual({});
    expect(rig.host.scripts.slice(-2)).toEqual(["M105", "G28 X"]);
  });
});
