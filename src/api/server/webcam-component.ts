// Moonraker's webcam component, read-only: the webcams configured as [webcam NAME] sections in
// <data>/config/moonraker.conf (Moonraker's own file and option names), listed by server.webcams.list.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { ApiError, endpoint, type ApiComponentFactory, type ApiLog } from "../endpoint.ts";

export interface Webcam {
  name: string;
  location: string;
  service: string;
  enabled: boolean;
  icon: string;
  target_fps: number;
  target_fps_idle: number;
  stream_url: string;
  snapshot_url: string;
  flip_horizontal: boolean;
  flip_vertical: boolean;
  rotation: number;
  aspect_ratio: string;
  extra_data: Record<string, unknown>;
  source: "config";
  uid: string;
}

/** [webcam NAME] sections of an INI-style moonraker.conf → webcams (unknown options ignored). */
export function parseWebcams(text: string): Webcam[] {
  const cams: Webcam[] = [];
  let cur: Record<string, string> | null = null;
  const flush = (name: string | null) => {
    if (name === null || cur === null) return;
    const o = cur;
    const bool = (k: string, d: boolean) => (o[k] === undefined ? d : /^(true|yes|1)$/i.test(o[k]!));
    const num = (k: string, d: number) => (Number.isFinite(Number(o[k])) && o[k] !== undefined ? Number(o[k]) : d);
    cams.push({
      name,
      location: o.location ?? "printer",
      service: o.service ?? "mjpegstreamer",
      enabled: bool("enabled", true),
      icon: o.icon ?? "mdiWebcam",
      target_fps: num("target_fps", 15),
      target_fps_idle: num("target_fps_idle", 5),
      stream_url: o.stream_url ?? "",
      snapshot_url: o.snapshot_url ?? "",
      flip_horizontal: bool("flip_horizontal", false),
      flip_vertical: bool("flip_vertical", false),
      rotation: num("rotation", 0),
      aspect_ratio: o.aspect_ratio ?? "4:3",
      extra_data: {},
      source: "config",
      uid: `config-${name}`,
    });
  };
  let name: string | null = null;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/[#;].*$/, "").trimEnd();
    const section = line.match(/^\[\s*([^\]]+?)\s*\]$/);
    if (section) {
      flush(name);
      const m = section[1]!.match(/^webcam\s+(.+)$/);
      name = m ? m[1]! : null;
      cur = m ? {} : null;
      continue;
    }
    const kv = line.match(/^\s*([A-Za-z_][\w]*)\s*[:=]\s*(.*)$/);
    if (kv && cur) cur[kv[1]!] = kv[2]!.trim();
  }
  flush(name);
  return cams;
}

function readWebcams(dataDir: string, log: ApiLog): Webcam[] {
  const path = join(dataDir, "config", "moonraker.conf");
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  const cams = parseWebcams(text);
  if (cams.length > 0) log.info(`web API: ${cams.length} webcam(s) from ${path}`);
  return cams;
}

export const webcamComponent: ApiComponentFactory = (ctx) => {
  const cams = readWebcams(ctx.dataDir, ctx.log);
  return {
    name: "webcam",
    endpoints: [
      endpoint({ path: "/server/webcams/list", verbs: ["GET"], params: v.looseObject({}), handler: () => ({ webcams: cams }) }),
      endpoint({
        path: "/server/webcams/get_item",
        verbs: ["GET"],
        params: v.looseObject({ name: v.optional(v.string()), uid: v.optional(v.string()) }),
        handler: ({ params }) => {
          const cam = cams.find((c) => c.name === params.name || c.uid === params.uid);
          if (!cam) throw new ApiError(`Webcam not found: ${params.name ?? params.uid ?? "(no name or uid given)"}`, 404);
          return { webcam: cam };
        },
      }),
    ],
  };
};
