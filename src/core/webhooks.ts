// The webhooks endpoint registry (Klipper's webhooks.py, without its socket): modules register
// endpoints by Klipper's API-server names ("info", "objects/query", "gcode/script", …) and a run
// mode's Host calls them in process. Also the "webhooks" status object (state, state_message).
import { hostname } from "node:os";
import { GCodeError } from "./gcode/errors.ts";

/** An endpoint refused a request (Klipper's WebRequestError, a kind of G-code CommandError). */
export class WebRequestError extends GCodeError {
  override name = "WebRequestError";
}

/** A client that stays subscribed (gcode/subscribe_output, objects/subscribe); gets each message's params. */
export interface WebConnection {
  send(params: Record<string, unknown>): void;
  isClosed(): boolean;
}

/** One call of an endpoint: Klipper's WebRequest parameter getters with its error wording. */
export class WebRequest {
  constructor(
    readonly method: string,
    readonly params: Readonly<Record<string, unknown>>,
    /** The calling client, for endpoints that keep sending (none for a one-off call). */
    readonly connection: WebConnection | null = null,
  ) {}

  get(item: string, def?: unknown): unknown {
    if (!(item in this.params)) {
      if (def === undefined) throw new WebRequestError(`Missing Argument [${item}]`);
      return def;
    }
    return this.params[item];
  }

  private typed<T>(item: string, def: T | undefined, ok: (v: unknown) => boolean): T {
    const value = this.get(item, def);
    if (item in this.params && !ok(value)) throw new WebRequestError(`Invalid Argument Type [${item}]`);
    return value as T;
  }

  getStr(item: string, def?: string | null): string {
    return this.typed(item, def as string | undefined, (v) => typeof v === "string");
  }
  getInt(item: string, def?: number): number {
    return this.typed(item, def, (v) => Number.isInteger(v));
  }
  getFloat(item: string, def?: number): number {
    return this.typed(item, def, (v) => typeof v === "number");
  }
  getDict(item: string, def?: Record<string, unknown> | null): Record<string, unknown> | null {
    return this.typed(item, def as Record<string, unknown> | undefined, (v) => typeof v === "object" && v !== null && !Array.isArray(v));
  }
}

/** An endpoint's handler: its result (undefined → {}), possibly after awaiting the printer. */
export type EndpointHandler = (req: WebRequest) => unknown;

/** What the registry needs from the printer (implemented by Printer in ./printer.ts). */
export interface WebhooksHost {
  getStateMessage(): [string, string];
  invokeShutdown(msg: string, details?: Record<string, unknown>): void;
  readonly startArgs: Readonly<Record<string, unknown>>;
}

export class Webhooks {
  private readonly endpoints = new Map<string, EndpointHandler>();

  constructor(private readonly printer: WebhooksHost) {
    this.registerEndpoint("list_endpoints", () => ({ endpoints: this.names() }));
    this.registerEndpoint("info", () => this.info());
    this.registerEndpoint("emergency_stop", () => printer.invokeShutdown("Shutdown due to webhooks request"));
  }

  registerEndpoint(path: string, handler: EndpointHandler): void {
    if (this.endpoints.has(path)) throw new WebRequestError("Path already registered to an endpoint");
    this.endpoints.set(path, handler);
  }

  has(path: string): boolean {
    return this.endpoints.has(path);
  }

  names(): string[] {
    return [...this.endpoints.keys()];
  }

  /** Run an endpoint; resolves with its result ({} when it has none), rejects with its error. */
  async call(path: string, params: Readonly<Record<string, unknown>> = {}, connection: WebConnection | null = null): Promise<unknown> {
    const handler = this.endpoints.get(path);
    if (!handler) throw new WebRequestError(`webhooks: No registered callback for path '${path}'`);
    const result = await handler(new WebRequest(path, params, connection));
    return result ?? {};
  }

  private info(): Record<string, unknown> {
    const [stateMessage, state] = this.printer.getStateMessage();
    const start = this.printer.startArgs;
    const out: Record<string, unknown> = {
      state,
      state_message: stateMessage,
      hostname: hostname(),
      klipper_path: start.klipper_path ?? null,
      python_path: process.execPath,
      process_id: process.pid,
      user_id: process.getuid?.() ?? null,
      group_id: process.getgid?.() ?? null,
    };
    for (const key of ["log_file", "config_file", "software_version", "cpu_info"]) out[key] = start[key] ?? null;
    return out;
  }

  /** The "webhooks" status object. */
  getStatus(_eventtime?: number): { state: string; state_message: string } {
    const [stateMessage, state] = this.printer.getStateMessage();
    return { state, state_message: stateMessage };
  }
}
