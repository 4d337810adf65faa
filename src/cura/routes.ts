// Cura's HTTP API on a Hono app: /api/v1/system and /printer (what "Add by IP" reads), the 5.x auth
// handshake (answered, never required), /cluster-api/v1 printers, print_jobs (upload, actions,
// preview) and materials. Cura ignores answers to uploads and actions; we still answer 4xx clearly.
import { randomBytes } from "../util/crypto.ts";
import type { Context } from "hono";
import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import * as v from "valibot";
import { ApiError } from "../api/endpoint.ts";
import type { Webcam } from "../api/server/webcam-component.ts";
import type { Host } from "../core/host.ts";
import { jobJson, printerJson, printerStatus, systemJson } from "./cluster-json.ts";
import type { GcodeStore } from "./gcode-store.ts";
import { gcodeHeadScanner } from "./gcode-head.ts";
import type { CuraIdentity } from "./identity.ts";
import { IntakeError, formatOf, jobNameOf, openIntake } from "./intake.ts";
import { openStreamedForm, type StreamedForm } from "./streamed-form.ts";
import { JobActionError, type JobQueue } from "./job-queue.ts";
import type { Logger } from "./mdns-advertiser.ts";
import type { MaterialStore } from "./materials.ts";

export interface CuraRoutesOptions {
  host: Host;
  identity: CuraIdentity;
  queue: JobQueue;
  store: GcodeStore;
  materials: MaterialStore;
  log: Logger;
  /** Largest upload accepted (bytes of the request body). */
  maxUploadBytes: number;
  /** Largest G-code a .ufp or .gcode.gz may expand to. */
  maxGcodeBytes: number;
  /** The configured webcams (moonraker.conf); the first enabled one is the printer's camera. */
  webcams: readonly Webcam[];
}

/** 1×1 transparent PNG: the preview when a job has no thumbnail (Cura re-asks every poll on non-2xx). */
const PLACEHOLDER_PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");

const MAX_MATERIAL_UPLOAD = 1024 * 1024;

const ActionBody = v.object({ action: v.picklist(["pause", "print", "abort", "resume"]) });
const MoveBody = v.object({ to_position: v.number(), list: v.optional(v.string()) });
const ForceBody = v.object({ force: v.boolean() });

function problem(c: Context, status: ContentfulStatusCode, message: string) {
  return c.json({ message }, status);
}

async function jsonBody<S extends v.GenericSchema>(c: Context, schema: S): Promise<v.InferOutput<S> | string> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    return "body is not JSON";
  }
  const parsed = v.safeParse(schema, raw);
  return parsed.success ? parsed.output : `invalid body: ${parsed.issues.map((i) => i.message).join("; ")}`;
}

/** The address the client reached us on (Cura builds the camera URL from the printer's ip_address). */
function hostAddress(c: Context): string {
  const h = c.req.header("host") ?? "";
  return h.replace(/^\[([^\]]+)\].*$/, "$1").replace(/:\d+$/, "") || "127.0.0.1";
}

export function curaRoutes(o: CuraRoutesOptions): Hono {
  const app = new Hono();
  const status = () => printerStatus(o.host.state(), o.queue.printStatsState(), o.queue.activeJob()?.status === "pre_print");
  const handleJobError = (c: Context, e: unknown) => {
    if (e instanceof JobActionError) return problem(c, e.status, e.message);
    throw e;
  };

  // --- /api/v1: the printer's own API (Add by IP reads /system) ---
  const system = () => systemJson(o.identity);
  app.get("/api/v1/system", (c) => c.json(system()));
  app.get("/api/v1/system/:field", (c) => {
    const s: Record<string, unknown> = system();
    const f = c.req.param("field");
    return f in s ? c.json(s[f]) : problem(c, 404, `no system field ${f}`);
  });
  app.get("/api/v1/printer", (c) => c.json({ status: status(), heads: [{ extruders: [{}] }], bed: { type: "glass" } }));
  app.get("/api/v1/printer/status", (c) => c.json(status()));

  // 5.x: Cura asks for credentials before its requests; any id/key will do, signatures are not checked.
  app.post("/api/v1/auth/request", (c) => c.json({ id: randomBytes(16).toString("hex"), key: randomBytes(32).toString("hex") }));
  app.get("/api/v1/auth/check/:id", (c) => c.json({ message: "authorized" }));
  app.get("/api/v1/auth/verify", (c) => c.json({ message: "ok" }));

  // The camera, as an Ultimaker printer's API names it; URLs relative to the web UI (crowsnest's
  // "/webcam/?action=stream") are made absolute against the address Cura used, on port 80.
  const camera = o.webcams.find((w) => w.enabled && w.stream_url !== "");
  const cameraUrl = (c: Context, url: string) => {
    const h = hostAddress(c);
    return new URL(url, `http://${h.includes(":") ? `[${h}]` : h}/`).href;
  };
  const noCamera = (c: Context) => problem(c, 404, "no webcam is configured ([webcam NAME] with stream_url in moonraker.conf)");
  app.get("/api/v1/camera", (c) => (camera ? c.json({ feed: cameraUrl(c, camera.stream_url), snapshot: camera.snapshot_url ? cameraUrl(c, camera.snapshot_url) : null }) : noCamera(c)));
  app.get("/api/v1/camera/feed", (c) => (camera ? c.json(cameraUrl(c, camera.stream_url)) : noCamera(c)));
  app.get("/api/v1/camera/:index{[0-9]+}/stream", (c) => (camera && c.req.param("index") === "0" ? c.redirect(cameraUrl(c, camera.stream_url), 302) : noCamera(c)));
  app.get("/api/v1/camera/:index{[0-9]+}/snapshot", (c) =>
    camera?.snapshot_url && c.req.param("index") === "0" ? c.redirect(cameraUrl(c, camera.snapshot_url), 302) : noCamera(c),
  );

  // --- /cluster-api/v1 ---
  const base = "/cluster-api/v1";
  const both = (path: string) => [path, `${path}/`];
  for (const p of both(`${base}/printers`)) app.get(p, (c) => c.json([printerJson(o.identity, status(), hostAddress(c))]));
  for (const p of both(`${base}/print_jobs`)) {
    app.get(p, (c) => c.json(o.queue.list().map((j) => jobJson(j, o.identity.uuid))));
    app.post(p, (c) => upload(c));
  }
  app.get(`${base}/print_jobs/:uuid`, (c) => {
    try {
      return c.json(jobJson(o.queue.get(c.req.param("uuid")), o.identity.uuid));
    } catch (e) {
      return handleJobError(c, e);
    }
  });
  app.get(`${base}/print_jobs/:uuid/preview_image`, (c) => {
    const job = o.queue.list().find((j) => j.uuid === c.req.param("uuid"));
    return c.body(new Uint8Array(job?.thumbnail ?? PLACEHOLDER_PNG), 200, { "Content-Type": "image/png" });
  });
  app.put(`${base}/print_jobs/:uuid/action`, async (c) => {
    const body = await jsonBody(c, ActionBody);
    if (typeof body === "string") return problem(c, 400, body);
    try {
      await o.queue.action(c.req.param("uuid"), body.action === "resume" ? "print" : body.action);
      return c.body(null, 204);
    } catch (e) {
      return handleJobError(c, e);
    }
  });
  app.post(`${base}/print_jobs/:uuid/action/move`, async (c) => {
    const body = await jsonBody(c, MoveBody);
    if (typeof body === "string") return problem(c, 400, body);
    try {
      o.queue.moveToTop(c.req.param("uuid"));
      return c.body(null, 204);
    } catch (e) {
      return handleJobError(c, e);
    }
  });
  app.put(`${base}/print_jobs/:uuid`, async (c) => {
    const body = await jsonBody(c, ForceBody);
    if (typeof body === "string") return problem(c, 400, body);
    try {
      o.queue.setForce(c.req.param("uuid"), body.force);
      return c.body(null, 204);
    } catch (e) {
      return handleJobError(c, e);
    }
  });
  app.delete(`${base}/print_jobs/:uuid`, (c) => {
    try {
      o.queue.remove(c.req.param("uuid"));
      return c.body(null, 204);
    } catch (e) {
      return handleJobError(c, e);
    }
  });
  for (const p of both(`${base}/materials`)) {
    app.get(p, (c) => c.json(o.materials.list()));
    app.post(p, async (c) => {
      try {
        // A material profile is a few kB; the signature_file part after it is read and dropped.
        const form = await openStreamedForm(c.req.raw, MAX_MATERIAL_UPLOAD);
        const added = await o.materials.add(await new Response(form.file).text());
        return c.text(added ? "material added" : "material not added (no GUID/version in it)");
      } catch (e) {
        if (e instanceof ApiError) return problem(c, e.status as ContentfulStatusCode, `material upload: ${e.message}`);
        throw e;
      }
    });
  }

  async function upload(c: Context) {
    const length = Number(c.req.header("content-length") ?? "NaN");
    if (Number.isFinite(length) && length > o.maxUploadBytes) {
      return problem(c, 413, `upload of ${length} bytes is larger than the limit of ${o.maxUploadBytes}`);
    }
    let form: StreamedForm;
    try {
      form = await openStreamedForm(c.req.raw, o.maxUploadBytes);
    } catch (e) {
      if (e instanceof ApiError) return problem(c, e.status as ContentfulStatusCode, e.message);
      throw e;
    }
    const format = formatOf(form.filename);
    if (!format) {
      await form.discard();
      return problem(c, 415, `"${form.filename}" is not a .ufp, .gcode.gz or .gcode file`);
    }
    const name = jobNameOf(form.filename);
    const intake = openIntake(form.file, format, o.maxGcodeBytes);
    const head = gcodeHeadScanner();
    let saved: string;
    try {
      saved = await o.store.saveNew(name, intake.gcode.pipeThrough(head.stream));
    } catch (e) {
      if (e instanceof IntakeError || e instanceof ApiError) return problem(c, e.status as ContentfulStatusCode, e.message);
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOSPC") return problem(c, 507, "no space left for the upload");
      if (code) {
        o.log.error(`Cura: storing upload "${form.filename}" failed: ${String(e)}`);
        return problem(c, 500, `storing the upload failed (${code})`);
      }
      return problem(c, 400, `"${form.filename}" is not valid ${format === "gcode.gz" ? "gzip" : format}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const ownerField = form.fields.get("owner")?.trim();
    const owner = ownerField ? ownerField.slice(0, 80) : "Unknown User";
    const meta = head.result();
    const job = o.queue.add(saved, name, owner, meta.estimatedSeconds, intake.thumbnail() ?? meta.thumbnail);
    return c.json(jobJson(job, o.identity.uuid), 201);
  }

  return app;
}
