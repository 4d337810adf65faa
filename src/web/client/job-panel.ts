// The print job: state, file, progress (file-relative, as Mainsail computes it from the G-code
// byte range), elapsed and remaining time, layer, pause/resume/cancel.
import type { App } from "./app.ts";
import { byId, duration, setText } from "./dom.ts";
import type { FileMeta } from "./files-panel.ts";
import { num, str } from "./store.ts";

const STATE_CLASS: Record<string, string> = { printing: "ok", paused: "warn", error: "bad", cancelled: "bad", complete: "ok" };

export function jobPanel(app: App): void {
  const bar = byId("job-progress-bar");
  const f = { state: byId("job-state"), file: byId("job-file"), progress: byId("job-progress"), elapsed: byId("job-elapsed"), left: byId("job-left"), layer: byId("job-layer") };
  const pause = byId<HTMLButtonElement>("job-pause");
  const resume = byId<HTMLButtonElement>("job-resume");
  const cancel = byId<HTMLButtonElement>("job-cancel");
  pause.addEventListener("click", () => void app.run(() => app.rpc.call("printer.print.pause")));
  resume.addEventListener("click", () => void app.run(() => app.rpc.call("printer.print.resume")));
  cancel.addEventListener("click", () => {
    if (confirm("Cancel the print?")) void app.run(() => app.rpc.call("printer.print.cancel"));
  });

  let metaFor = "";
  let meta: FileMeta | null = null;
  const loadMeta = (filename: string) => {
    metaFor = filename;
    meta = null;
    if (!filename) return;
    app.rpc.call<FileMeta>("server.files.metadata", { filename }).then(
      (m) => {
        if (metaFor === filename) meta = m;
      },
      (e) => console.warn("dashboard: no metadata for", filename, e),
    );
  };

  const progressOf = (): number => {
    const sd = app.store.get("virtual_sdcard");
    const pos = num(sd, "file_position");
    if (meta?.gcode_start_byte !== undefined && meta.gcode_end_byte !== undefined && pos !== null && meta.gcode_end_byte > meta.gcode_start_byte) {
      return Math.min(1, Math.max(0, (pos - meta.gcode_start_byte) / (meta.gcode_end_byte - meta.gcode_start_byte)));
    }
    return num(sd, "progress") ?? num(app.store.get("display_status"), "progress") ?? 0;
  };

  const layerOf = (ps: Record<string, unknown>): string => {
    const info = (ps.info ?? {}) as Record<string, unknown>;
    const cur = num(info, "current_layer");
    const total = num(info, "total_layer");
    if (cur !== null || total !== null) return `${cur ?? "?"} / ${total ?? "?"}`;
    // Without SET_PRINT_STATS_INFO: estimate from the slicer's heights and the current Z
    if (meta?.layer_height && meta.object_height) {
      const first = meta.first_layer_height ?? meta.layer_height;
      const totalL = Math.ceil((meta.object_height - first) / meta.layer_height + 1);
      const z = ((app.store.get("gcode_move").gcode_position as number[] | undefined) ?? [])[2] ?? 0;
      const curL = Math.min(totalL, Math.max(1, Math.ceil((z - first) / meta.layer_height + 1)));
      return `${curL} / ${totalL}`;
    }
    return "–";
  };

  app.store.subscribe(() => {
    const ps = app.store.get("print_stats");
    const state = str(ps, "state") || "standby";
    const filename = str(ps, "filename");
    if (filename !== metaFor) loadMeta(filename);
    setText(f.state, state);
    f.state.className = `badge ${STATE_CLASS[state] ?? ""}`;
    setText(f.file, filename || "no file");
    const active = state === "printing" || state === "paused";
    const progress = active || state === "complete" ? progressOf() : 0;
    bar.style.width = `${(progress * 100).toFixed(1)}%`;
    setText(f.progress, `${(progress * 100).toFixed(1)} %`);
    // print_duration starts at the first extrusion (Klipper): before that, or for a file that never
    // extrudes, the total time is the best clock there is
    const printDuration = num(ps, "print_duration") || num(ps, "total_duration") || 0;
    setText(f.elapsed, active ? duration(num(ps, "total_duration")) : "–");
    let left: number | null = null;
    if (active && progress > 0.001) left = printDuration / progress - printDuration;
    else if (active && meta?.estimated_time) left = meta.estimated_time - printDuration;
    setText(f.left, active ? duration(left) : "–");
    setText(f.layer, active ? layerOf(ps) : "–");
    pause.disabled = state !== "printing";
    resume.disabled = state !== "paused";
    cancel.disabled = !active;
  });
}
