// Test rig for the file manager: a Host that records G-code scripts and keeps a print_stats state
// (SDCARD_PRINT_FILE starts a "print"), a real HTTP server on 127.0.0.1 port 0 serving the Hono app
// with the files component, and an in-process caller for its JSON endpoints.
import { Hono } from "hono";
import * as v from "valibot";
import type { EndpointDecl, HttpVerb } from "../../../src/api/endpoint.ts";
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
  readonly app = new Hono();
  readonly notifications: Notification[] = [];
  readonly component: FilesComponent;
  readonly server: ReturnType<typeof Bun.serve>;
  readonly base: string;
  private waiters: { pred: (n: Notification) => boolean; resolve: (n: Notification) => void }[] = [];

  constructor(opts: FilesOptions = {}) {
    const log = { info: () => undefined, warn: () => undefined, error: (m: string) => console.error(m) };
    this.component = createFilesComponent(
      {
        host: this.host,
        dataDir: this.dir.path,
        app: this.app,
        log,
        notify: (method, params = []) => {
          const n = { method, params };
          this.notifications.push(n);
          this.waiters = this.waiters.filter((w) => (w.pred(n) ? (w.resolve(n), false) : true));
        },
      },
      opts,
    );
    this.server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: this.app.fetch, maxRequestBodySize: 8 * 1024 ** 3 });
    this.base = `http://127.0.0.1:${this.server.port}`;
  }

  get fm() {
    return this.component.fileManager;
  }

  /** Resolves with the first notification (already received or future) matching `pred`. */
  waitFor(pred: (n: Notification) => boolean): Promise<Notification> {
    const seen = this.notifications.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  /** Call a JSON endpoint the way the transport does: validate params, then run the handler. */
  async call(path: string, verb: HttpVerb, params: Record<string, unknown> = {}): Promise<unknown> {
    const decl = this.component.endpoints.find((e: EndpointDecl) => e.path === path && e.verbs.includes(verb));
    if (!decl) throw new Error(`no endpoint ${verb} ${path}`);
    const parsed = v.parse(decl.params, params);
    return decl.handler({ params: parsed, verb, caller: { transport: "http", connectionId: null, ip: "127.0.0.1", user: null } });
  }

  async close(): Promise<void> {
    await this.server.stop(true);
    await this.component.close?.();
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
