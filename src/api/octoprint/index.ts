// OctoPrint API emulation for slicers (Moonraker's octoprint_compat): enough of OctoPrint's REST API
// for the PrusaSlicer/SuperSlicer/OrcaSlicer "OctoPrint" host type and Cura's OctoPrint plugin to
// test the connection, upload a G-code (optionally start it) and show printer state. Answers are
// bare JSON (not wrapped in {result}); uploads go through the file manager.
import type { Context } from "hono";
import type { ApiComponent, ApiContext } from "../endpoint.ts";
import { errorResponse } from "../files/index.ts";
import type { FileManager } from "../files/file-manager.ts";
import { urlPath } from "../files/roots.ts";
import { receiveUpload } from "../files/upload.ts";

/** The OctoPrint version slicers are told (Moonraker reports the same). */
export const OCTO_VERSION = "1.5.0";

type OctoState = "Offline" | "Error" | "Operational" | "Printing" | "Paused";

interface PrintStats {
  state?: string;
  filename?: string;
  print_duration?: number;
  filament_used?: number;
}

export function createOctoprintComponent(ctx: ApiContext, fm: FileManager): ApiComponent {
  const { app, host, log } = ctx;

  /** Every route is guarded like the rest of the API (slicers send X-Api-Key). */
  const guarded = (handler: (c: Context) => Promise<Response> | Response) => async (c: Context) => {
    try {
      await ctx.authorize({ transport: "http", ip: ctx.remoteIp(c.req.raw), headers: c.req.raw.headers, query: new URL(c.req.url).searchParams });
      return await handler(c);
    } catch (err) {
      return errorResponse(c, err, log);
    }
  };

  async function query(objects: Record<string, null>): Promise<Record<string, Record<string, unknown>>> {
    try {
      const res = (await host.call("objects/query", { objects })) as { status?: Record<string, Record<string, unknown>> };
      return res.status ?? {};
    } catch (err) {
      log.info(`octoprint: objects/query failed: ${(err as Error).message}`);
      return {};
    }
  }

  function stateOf(printStats: PrintStats | undefined): OctoState {
    const klippy = host.state().state;
    if (klippy === "disconnected" || klippy === "startup") return "Offline";
    if (klippy !== "ready") return "Error";
    const map: Record<string, OctoState> = { standby: "Operational", printing: "Printing", paused: "Paused", complete: "Operational", cancelled: "Operational" };
    return map[printStats?.state ?? "standby"] ?? "Error";
  }

  async function temperatures(): Promise<Record<string, { actual: number; offset: number; target: number }>> {
    const sensors = ((await query({ heaters: null })).heaters?.available_heaters as string[] | undefined) ?? [];
    const status = await query(Object.fromEntries(sensors.map((s) => [s, null])));
    const temps: Record<string, { actual: number; offset: number; target: number }> = {};
    for (const name of sensors) {
      let key: string;
      if (name.startsWith("extruder")) key = `tool${Number(name.slice(8)) || 0}`;
      else if (name === "heater_bed") key = "bed";
      else continue;
      const s = status[name] ?? {};
      temps[key] = { actual: Math.round(Number(s.temperature ?? 0) * 100) / 100, offset: 0, target: Number(s.target ?? 0) };
    }
    return temps;
  }

  app.get(
    "/api/version",
    guarded((c) => c.json({ server: OCTO_VERSION, api: "0.1", text: `OctoPrint (Stepline ${OCTO_VERSION})` })),
  );
  app.get(
    "/api/server",
    guarded((c) => c.json({ server: OCTO_VERSION, safemode: host.state().state === "ready" ? null : "settings" })),
  );
  const user = guarded((c) =>
    c.json({
      _is_external_client: false,
      _login_mechanism: "apikey",
      name: "_api",
      active: true,
      user: true,
      admin: true,
      apikey: null,
      permissions: [],
      groups: ["admins", "users"],
    }),
  );
  app.post("/api/login", user);
  app.get("/api/currentuser", user);
  app.get(
    "/api/settings",
    guarded((c) =>
      c.json({
        plugins: {},
        feature: { sdSupport: false, temperatureGraph: false },
        webcam: { flipH: false, flipV: false, rotate90: false, streamUrl: "/webcam/?action=stream", webcamEnabled: true },
      }),
    ),
  );
  app.get(
    "/api/printer",
    guarded(async (c) => {
      const state = stateOf((await query({ print_stats: null })).print_stats as PrintStats | undefined);
      const bad = state === "Error" || state === "Offline";
      return c.json({
        temperature: await temperatures(),
        state: {
          text: state,
          flags: {
            operational: !bad,
            paused: state === "Paused",
            printing: state === "Printing",
            cancelling: false,
            pausing: false,
            error: state === "Error",
            ready: state === "Operational",
            closedOrError: bad,
          },
        },
      });
    }),
  );
  app.get(
    "/api/job",
    guarded(async (c) => {
      const status = await query({ print_stats: null, virtual_sdcard: null });
      const ps = status.print_stats as PrintStats | undefined;
      const sd = status.virtual_sdcard ?? {};
      const active = ps?.state === "printing" || ps?.state === "paused";
      return c.json({
        job: { file: { name: active ? (ps?.filename ?? null) : null }, estimatedPrintTime: null, filament: { length: active ? (ps?.filament_used ?? null) : null }, user: null },
        progress: {
          completion: active ? Number(sd.progress ?? 0) * 100 : null,
          filepos: active ? Number(sd.file_position ?? 0) : null,
          printTime: active ? (ps?.print_duration ?? null) : null,
          printTimeLeft: null,
          printTimeOrigin: null,
        },
        state: stateOf(ps),
      });
    }),
  );
  app.post(
    "/api/printer/command",
    guarded(async (c) => {
      const body = (await c.req.json().catch(() => ({}))) as { commands?: unknown };
      const commands = Array.isArray(body.commands) ? body.commands.filter((x): x is string => typeof x === "string") : [];
      for (const script of commands) {
        try {
          await host.call("gcode/script", { script });
        } catch (err) {
          log.warn(`octoprint: G-code '${script}' failed: ${(err as Error).message}`);
        }
      }
      return c.json({});
    }),
  );
  app.get(
    "/api/printerprofiles",
    guarded(async (c) => {
      const heaters = ((await query({ heaters: null })).heaters?.available_heaters as string[] | undefined) ?? [];
      return c.json({
        profiles: {
          _default: { id: "_default", name: "Default", color: "default", model: "Default", default: true, current: true, heatedBed: heaters.includes("heater_bed"), heatedChamber: heaters.includes("chamber") },
        },
      });
    }),
  );
  app.post(
    "/api/files/local",
    guarded(async (c) => {
      const result = await receiveUpload(fm, c.req.raw, { root: "gcodes" });
      c.header("Location", `${new URL(c.req.url).origin}/api/files/moonraker/${result.item.root}/${urlPath(result.item.path)}`);
      return c.json(result, 201);
    }),
  );
  app.post(
    "/api/files/moonraker/:root{gcodes}/:rest{.+}",
    guarded(async (c) => {
      const body = (await c.req.json().catch(() => ({}))) as { command?: unknown; print?: unknown };
      if (body.command !== "select") return c.json({ error: { code: 400, message: "Only the 'select' command is supported" } }, 400);
      const rel = fm.locateIn("gcodes", c.req.param("rest") ?? "").rel;
      if (body.print === true && !(await fm.startPrint(rel))) return c.json({ error: { code: 409, message: "Printer is busy" } }, 409);
      return c.body(null, 204);
    }),
  );

  return { name: "octoprint_compat", endpoints: [] };
}
