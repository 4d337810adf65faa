// The Host: the one seam through which the front doors (web API, Cura, dashboard) reach a printer,
// the in-process equivalent of Klipper's API-server socket. Endpoints are Klipper's webhooks names
// ("info", "objects/query", "gcode/script", "pause_resume/pause", …) with Klipper's parameters and
// results. Two implementations: the live printer in this process (src/live) and a real klippy over
// its API socket. Front doors import this file only (types and HostError), never printer objects.

/** Klipper's klippy state as Moonraker reports it (plus "disconnected": no host behind the seam). */
export type KlippyState = "startup" | "ready" | "error" | "shutdown" | "disconnected";

/** Objects and fields to report: null (or an empty list) = every field of that object. */
export type StatusRequest = Record<string, readonly string[] | null>;
/** Object name → field → value, as Klipper's get_status() gives them. */
export type StatusSnapshot = Record<string, Record<string, unknown>>;

/** An endpoint refused or failed a request; `message` is Klipper's wording (e.g. a G-code error). */
export class HostError extends Error {
  constructor(
    message: string,
    /** "not_found": no such endpoint; "not_ready": klippy is not ready; "request": the endpoint's own error. */
    readonly kind: "not_found" | "not_ready" | "request" = "request",
  ) {
    super(message);
    this.name = "HostError";
  }
}

export interface HostStateInfo {
  state: KlippyState;
  /** Klipper's state message ("Printer is ready", the shutdown reason, the config error, …). */
  message: string;
}

export interface ObjectSubscription {
  /** Current values of everything requested (the full snapshot, not a change set). */
  status: StatusSnapshot;
  /** Host monotonic time of that snapshot, seconds. */
  eventtime: number;
  /** Replace what this subscription watches; returns the full snapshot of the new request. */
  update(request: StatusRequest): { status: StatusSnapshot; eventtime: number };
  unsubscribe(): void;
}

export interface Host {
  /** The klippy state now. */
  state(): HostStateInfo;
  /** Called on every state change (startup → ready, → shutdown/error, → disconnected on restart, …). */
  onStateChange(cb: (info: HostStateInfo) => void): () => void;
  /**
   * Call a webhooks endpoint by Klipper's name with Klipper's parameters; resolves with its result.
   * Rejects with HostError (not_found / not_ready / the endpoint's own error).
   */
  call(endpoint: string, params?: Record<string, unknown>): Promise<unknown>;
  /** Names of the endpoints currently registered (Klipper's "list_endpoints"). */
  endpoints(): string[];
  /**
   * Watch printer objects: `onChange` gets only fields whose value changed, at Klipper's cadence
   * (every 250 ms), with the host's eventtime. Subscriptions survive restarts of the printer.
   */
  subscribeObjects(request: StatusRequest, onChange: (changes: StatusSnapshot, eventtime: number) => void): ObjectSubscription;
  /** Every G-code response line ("ok" excluded; "// info", "!! error", "echo: …") as Klipper sends them to gcode/subscribe_output. */
  onGcodeOutput(cb: (line: string) => void): () => void;
}
