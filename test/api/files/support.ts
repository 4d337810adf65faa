// Test rig for the file manager: a Host that records G-code scripts and keeps a print_stats state
// (SDCARD_PRINT_FILE starts a "print"), a real HTTP server on 127.0.0.1 port 0 serving the Hono app
// (the web API transport) with the files and OctoPrint components, and a websocket listening for
// notify_filelist_changed.
import { startApiServer, type ApiServer } from "../../../src/api/server.ts";
import { createOctoprintComponent } from "../../../src/api/octoprint/index.ts";
import type { FileChange } from "../../../src/api/files/file-manager.ts";
import type { Host, HostStateInfo, ObjectSubscription, StatusSnapshot } from "../../../src/core/host.ts";
import { createFilesComponent, type FilesComponent, type FilesOptions } from "../../../src/api/files/index.ts";
import { TempDir } from "../../support/temp-dir.ts";

export class RecordingHost implements Host {
  readonly scripts: string[] = [];
  printStats = { state: "standby", filename: "" };
  heaters: StatusSnapshot = {
    extruder: { temperature: 24.51, target: 0 },
    heater_bed: { temperature: 23.2, target: 0 },
  };
  state(): HostStateInfo {
    return { state: "ready", message: "Printer is ready" };
  }
  onStateChange(): () => void {
    return () => undefined;
  }
  endpoints(): string[] {
    return ["objects/query", "gcode/script"];
  }
  async call(endpoint: string, params: Record<string, unknown> = {}): Promise<unknown> {
    if (endpoint === "gcode/script") {
      const script = String(params.script);
      this.scripts.push(script);
      const m = /^SDCARD_PRINT_FILE FILENAME="(.*)"$/.exec(script);
      if (m) this.printStats = { state: "printing", filename: m[1]!.replace(/\\"/g, '"') };
      return {};
    }
    if (endpoint === "objects/query") {
      const objects = params.objects as Record<string, unknown>;
      const status: StatusSnapshot = {};
      for (const name of Object.keys(objects)) {
        if (name === "print_stats") status[name] = { ...this.printStats };
        else if (name === "heaters") status[name] = { available_sensors: Object.keys(this.heaters), available_heaters: Object.keys(this.heaters) };
        else if (this.heaters[name]) status[name] = { ...this.heaters[name] };
      }
      return { eventtime: performance.now() / 1000, status };
    }
    throw new Error(`no endpoint ${endpoint}`);
  }
  subscribeObjects(): ObjectSubscription {
    throw new Error("not used by the file manager");
  }
  onGcodeOutput(): () => void {
    return () => undefined;
  }
}

export interface Notification {
  method: string;
  params: unknown[];
}

export class FilesRig {
  readonly dir = new TempDir("stepline-files-");
  readonly host = new RecordingHost();
  readonly notifications: Notification[] = [];
  component!: FilesComponent;
  server!: ApiServer;
  base = "";
  private ws: WebSocket | null = null;
  private waiters: { pred: (n: Notification) => boolean; resolve: (n: Notification) => void }[] = [];

  /** Start the real web API server (port 0, loopback) with the files and OctoPrint components and a websocket listener. */
  static async start(opts: FilesOptions = {}): Promise<FilesRig> {
    const rig = new FilesRig();
    const log = { info: () => undefined, warn: () => undefined, error: (m: string) => console.error(m) };
    rig.server = await startApiServer({
      host: rig.host,
      dataDir: rig.dir.path,
      port: 0,
      hostname: "127.0.0.1",
      log,
      components: [
        (ctx) => (rig.component = createFilesComponent(ctx, opts)),
        (ctx) => createOctoprintComponent(ctx, rig.component.fileManager),
      ],
    });
    rig.base = rig.server.url;
    const ws = new WebSocket(`${rig.base.replace("http", "ws")}/websocket`);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    ws.onmessage = (ev) => {
      const msg = JSON.parse(String(ev.data)) as { method?: string; params?: unknown[] };
      if (!msg.method) return;
      const n = { method: msg.method, params: msg.params ?? [] };
      rig.notifications.push(n);
      rig.waiters = rig.waiters.filter((w) => (w.pred(n) ? (w.resolve(n), false) : true));
    };
    rig.ws = ws;
    return rig;
  }

  get fm() {
    return this.component.fileManager;
  }

  /** Resolves with the first notify_filelist_changed (already received or future) matching `pred`. */
  waitForChange(pred: (c: FileChange) => boolean): Promise<FileChange> {
    const match = (n: Notification) => n.method === "notify_filelist_changed" && pred(n.params[0] as FileChange);
    const seen = this.notifications.find(match);
    if (seen) return Promise.resolve(seen.params[0] as FileChange);
    return new Promise((resolve) => this.waiters.push({ pred: match, resolve: (n) => resolve(n.params[0] as FileChange) }));
  }

  changes(): FileChange[] {
    return this.notifications.filter((n) => n.method === "notify_filelist_changed").map((n) => n.params[0] as FileChange);
  }

  /** A JSON endpoint over real HTTP: GET with a query string, POST/DELETE with a JSON body. */
  async http(verb: "GET" | "POST" | "DELETE", path: string, params: Record<string, unknown> = {}): Promise<{ status: number; body: any }> {
    const url = new URL(path, this.base);
    let init: RequestInit = { method: verb };
    if (verb === "GET") for (const [k, val] of Object.entries(params)) url.searchParams.set(k, String(val));
    else init = { method: verb, headers: { "content-type": "application/json" }, body: JSON.stringify(params) };
    const res = await fetch(url, init);
    return { status: res.status, body: await res.json() };
  }

  /** A JSON-RPC call over the websocket. */
  rpc(method: string, params: Record<string, unknown> = {}): Promise<{ result?: any; error?: { code: number; message: string } }> {
    const id = Math.floor(Math.random() * 1e9);
    return new Promise((resolve) => {
      const ws = this.ws!;
      const listener = (ev: MessageEvent) => {
        const msg = JSON.parse(String(ev.data));
        if (msg.id === id) {
          ws.removeEventListener("message", listener);
          resolve(msg);
        }
      };
      ws.addEventListener("message", listener);
      ws.send(JSON.stringify({ jsonrpc: "2.0", method, params, id }));
    });
  }

  async close(): Promise<void> {
    this.ws?.close();
    await this.server.stop();
    this.dir.remove();
  }
}

/** A multipart body for an upload: the file part plus extra form fields, in the given order. */
export function uploadForm(fileName: string, content: string | Uint8Array, fields: Record<string, string> = {}, fileFirst = true): FormData {
  const form = new FormData();
  const add = () => form.append("file", new Blob([content]), fileName);
  if (fileFirst) add();
  for (const [k, val] of Object.entries(fields)) form.append(k, val);
  if (!fileFirst) add();
  return form;
}
