// Status queries and subscriptions over the printer objects (Klipper's webhooks
// QueryStatusHelper): a snapshot of the requested fields of the requested objects, and
// subscribers told about changed fields every 250 ms. A null field list means every field;
// unknown objects give an empty entry. Follows the current Printer across restarts.

export type StatusRequest = Record<string, readonly string[] | null>;
export type StatusSnapshot = Record<string, Record<string, unknown>>;
export type StatusCallback = (changes: StatusSnapshot, eventtime: number) => void;

/** How often subscribers are checked for changes (Klipper's SUBSCRIPTION_REFRESH_TIME). */
export const STATUS_REFRESH_TIME = 0.25;

/** The printer objects a hub reads (implemented by Printer). */
export interface StatusObjects {
  lookupObject<T = unknown>(name: string, def: T | null): T | null;
  lookupObjects<T = unknown>(): [string, T][];
}

interface StatusSource {
  getStatus(eventtime: number): Record<string, unknown>;
}

function hasStatus(obj: unknown): obj is StatusSource {
  return !!obj && typeof (obj as StatusSource).getStatus === "function";
}

interface Subscription {
  request: StatusRequest;
  cb: StatusCallback;
  /** Last sent value of each field, as JSON, to detect changes. */
  last: Map<string, string>;
}

export class StatusHub {
  private readonly subs = new Set<Subscription>();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly printer: () => StatusObjects | undefined, private readonly monotonic: () => number) {}

  /** The requested fields now. */
  query(request: StatusRequest, eventtime: number = this.monotonic()): StatusSnapshot {
    const printer = this.printer();
    const out: StatusSnapshot = {};
    for (const [name, fields] of Object.entries(request)) {
      const obj = printer?.lookupObject<unknown>(name, null);
      if (!hasStatus(obj)) {
        out[name] = {};
        continue;
      }
      const status = obj.getStatus(eventtime);
      const picked: Record<string, unknown> = {};
      for (const k of fields ?? Object.keys(status)) if (k in status) picked[k] = status[k];
      out[name] = picked;
    }
    return out;
  }

  /** Names of the objects that have a status (for an objects list endpoint). */
  objectNames(): string[] {
    return (this.printer()?.lookupObjects<unknown>() ?? []).filter(([, o]) => hasStatus(o)).map(([n]) => n);
  }

  /** Subscribe: returns the current values and a way to stop; `cb` gets only changed fields. */
  subscribe(request: StatusRequest, cb: StatusCallback): { status: StatusSnapshot; unsubscribe: () => void } {
    const sub: Subscription = { request, cb, last: new Map() };
    const status = this.query(request);
    this.remember(sub, status);
    this.subs.add(sub);
    this.timer ??= setInterval(() => this.poll(), STATUS_REFRESH_TIME * 1000);
    return {
      status,
      unsubscribe: () => {
        this.subs.delete(sub);
        if (!this.subs.size) this.stopTimer();
      },
    };
  }

  close(): void {
    this.subs.clear();
    this.stopTimer();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private remember(sub: Subscription, snap: StatusSnapshot): StatusSnapshot {
    const changes: StatusSnapshot = {};
    for (const [name, fields] of Object.entries(snap)) {
      for (const [k, v] of Object.entries(fields)) {
        const key = `${name}\0${k}`;
        const json = JSON.stringify(v) ?? "undefined";
        if (sub.last.get(key) === json) continue;
        sub.last.set(key, json);
        (changes[name] ??= {})[k] = v;
      }
    }
    return changes;
  }

  private poll(): void {
    const eventtime = this.monotonic();
    for (const sub of [...this.subs]) {
      let changes: StatusSnapshot;
      try {
        changes = this.remember(sub, this.query(sub.request, eventtime));
      } catch {
        continue; // an object failing mid-restart: try again next time
      }
      if (Object.keys(changes).length) sub.cb(changes, eventtime);
    }
  }
}
