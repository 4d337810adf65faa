// G-code files: the list (server.files.list, newest first) with thumbnails and slicer metadata,
// print and delete buttons, and uploads through POST /server/files/upload with a progress bar.
import type { App } from "./app.ts";
import { byId, bytes, duration, h, setText, toast } from "./dom.ts";
import { authHeaders } from "./rpc.ts";

interface FileEntry {
  path: string;
  modified: number;
  size: number;
}

export interface FileMeta {
  filename: string;
  estimated_time?: number;
  gcode_start_byte?: number;
  gcode_end_byte?: number;
  layer_height?: number;
  first_layer_height?: number;
  object_height?: number;
  thumbnails?: { width: number; height: number; relative_path: string }[];
  slicer?: string;
  filament_total?: number;
}

/** Metadata is only fetched for the newest files: a Pi with thousands of files stays responsive. */
const META_LIMIT = 50;

/** A thumbnail of a G-code file (the one closest to 64 px), or a placeholder. */
function thumbnail(path: string, m: FileMeta | undefined): HTMLElement {
  const thumbs = m?.thumbnails ?? [];
  if (thumbs.length === 0) return h("span", { class: "thumb" });
  const best = thumbs.reduce((a, b) => (Math.abs(b.width - 64) < Math.abs(a.width - 64) ? b : a));
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/") + 1) : "";
  const url = `/server/files/gcodes/${(dir + best.relative_path).split("/").map(encodeURIComponent).join("/")}`;
  return h("img", { src: url, alt: "", loading: "lazy" });
}

export function filesPanel(app: App): { refresh(): Promise<void> } {
  const list = byId("file-list");
  const metaCache = new Map<string, FileMeta>();
  let pending: ReturnType<typeof setTimeout> | null = null;

  const describe = (f: FileEntry, m: FileMeta | undefined): string => {
    const parts = [bytes(f.size), new Date(f.modified * 1000).toLocaleString()];
    if (m?.estimated_time) parts.push(`≈ ${duration(m.estimated_time)}`);
    if (m?.filament_total) parts.push(`${(m.filament_total / 1000).toFixed(2)} m`);
    if (m?.slicer) parts.push(m.slicer);
    return parts.join(" · ");
  };

  const render = (files: FileEntry[]) => {
    list.replaceChildren(
      ...files.map((f) => {
        const m = metaCache.get(`${f.path}@${f.modified}`);
        const print = h("button", { "data-print": f.path }, "Print");
        print.addEventListener("click", () => void app.run(() => app.rpc.call("printer.print.start", { filename: f.path })));
        const del = h("button", { "data-delete": f.path, title: "Delete", "aria-label": `Delete ${f.path}` }, "✕");
        del.addEventListener("click", () => {
          if (confirm(`Delete ${f.path}?`)) void app.run(() => app.rpc.call("server.files.delete_file", { path: `gcodes/${f.path}` }));
        });
        return h("li", { "data-file": f.path }, thumbnail(f.path, m), h("div", { class: "meta" }, h("span", { class: "filename" }, f.path), h("small", {}, describe(f, m))), print, del);
      }),
    );
    if (files.length === 0) list.append(h("li", { class: "muted" }, "No G-code files yet: upload one."));
  };

  const refresh = async () => {
    let files: FileEntry[];
    try {
      files = await app.rpc.call<FileEntry[]>("server.files.list", { root: "gcodes" });
    } catch (e) {
      list.replaceChildren(h("li", { class: "muted" }, `File list unavailable: ${(e as Error).message}`));
      return;
    }
    files.sort((a, b) => b.modified - a.modified);
    render(files);
    const missing = files.slice(0, META_LIMIT).filter((f) => !metaCache.has(`${f.path}@${f.modified}`));
    if (missing.length === 0) return;
    await Promise.all(
      missing.map((f) =>
        app.rpc.call<FileMeta>("server.files.metadata", { filename: f.path }).then(
          (m) => void metaCache.set(`${f.path}@${f.modified}`, m),
          (e) => console.warn("dashboard: no metadata for", f.path, e),
        ),
      ),
    );
    render(files);
  };

  // Many changes arrive together (upload + metadata scan): refresh once
  const refreshSoon = () => {
    if (pending) clearTimeout(pending);
    pending = setTimeout(() => {
      pending = null;
      void refresh();
    }, 200);
  };
  app.rpc.on("notify_filelist_changed", refreshSoon);
  app.rpc.on("notify_metadata_update", refreshSoon);

  uploadForm(refreshSoon);
  return { refresh };
}

function uploadForm(onDone: () => void): void {
  const form = byId<HTMLFormElement>("upload-form");
  const input = byId<HTMLInputElement>("upload-file");
  const printAfter = byId<HTMLInputElement>("upload-print");
  const box = byId("upload-progress");
  const bar = byId("upload-progress-bar");
  const status = byId("upload-status");
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const file = input.files?.[0];
    if (!file) {
      toast("Choose a file to upload first");
      return;
    }
    const body = new FormData();
    body.append("root", "gcodes");
    if (printAfter.checked) body.append("print", "true");
    body.append("file", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/server/files/upload");
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    box.hidden = false;
    bar.style.width = "0%";
    box.dataset.percent = "0";
    setText(status, `Uploading ${file.name}…`);
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      const pct = Math.round((e.loaded / e.total) * 100);
      bar.style.width = `${pct}%`;
      box.dataset.percent = String(pct);
      box.dataset.events = String(Number(box.dataset.events ?? 0) + 1);
      setText(status, `Uploading ${file.name}: ${bytes(e.loaded)} of ${bytes(e.total)}`);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        bar.style.width = "100%";
        box.dataset.percent = "100";
        setText(status, `Uploaded ${file.name}`);
        form.reset();
        onDone();
      } else {
        let message = `HTTP ${xhr.status}`;
        try {
          message = (JSON.parse(xhr.responseText) as { error?: { message?: string } }).error?.message ?? message;
        } catch {
          // not JSON: keep the status line
        }
        setText(status, `Upload failed: ${message}`);
        toast(`Upload of ${file.name} failed: ${message}`);
      }
    });
    xhr.addEventListener("error", () => {
      setText(status, `Upload of ${file.name} failed: connection lost`);
      toast(`Upload of ${file.name} failed: connection lost`);
    });
    xhr.send(body);
  });
}
