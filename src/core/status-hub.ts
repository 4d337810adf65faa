// Status queries and subscriptions over the printer objects (Klipper's webhooks
// QueryStatusHelper): a snapshot of the requested fields of the requested objects, and
// subscribers told about changed fields every 250 ms. A null field list means every field;
// unknown objects give an empty entry, requested fields an object lacks are null. Follows the
// current Printer across restarts.

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

/**
 * One moment's statuses: each object's getStatus() and each field's JSON are computed once and
 * shared by every subscriber (many websocket clients subscribe to the same objects; Klipper's
 * QueryStatusHelper shares its query the same way).
 */
class StatusMoment {
  private readonly statuses = new Map<string, Record<string, unknown>>();
  private readonly json = new Map<string, string>();

  constructor(
    private readonly printer: StatusObjects | undefined,
    readonly eventtime: number,
  ) {}

  status(name: string): Record<string, unknown> {
    let status = this.statuses.get(name);
    if (!status) {
      const obj = this.printer?.lookupObject<unknown>(name, null);
      status = hasStatus(obj) ? obj.getStatus(this.eventtime) : {};
      this.statuses.set(name, status);
    }
    return status;
  }

  /** The requested fields of one object; a requested field the object lacks is null, as in Klipper. */
  pick(name: string, fields: readonly string[] | null): Record<string, unknown> {
    const status = this.status(name);
    const picked: Record<string, unknown> = {};
    for (const k of fields ?? Object.keys(status)) picked[k] = status[k] ?? null;
    return picked;
  }

  fieldJson(name: string, field: string, value: unknown): string {
    const key = `${name}\0${field}`;
    let text = this.json.get(key);
    if (text === undefined) {
      text = JSON.stringify(value) ?? "undefined";
      this.json.set(key, text);
    }
    return text;
  }
}

export class StatusHub {
  private readonly subs = new Set<Subscription>();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly printer: () => StatusObjects | undefined, private readonly monotonic: () => number) {}

  /** The requested fields now. */
  query(request: StatusRequest, eventtime: number = this.monotonic()): StatusSnapshot {
    return this.snapshot(request, new StatusMoment(this.printer(), eventtime));
  }

  private snapshot(request: StatusRequest, moment: StatusMoment): StatusSnapshot {
    const out: StatusSnapshot = {};
    for (const [name, fields] of Object.entries(request)) out[name] = moment.pick(name, fields);
    return out;
  }

  /** Names of the objects that have a status (for an objects list endpoint). */
  objectNames(): string[] {
    return (this.printer()?.lookupObjects<unknown>() ?? []).filter(([, o]) => hasStatus(o)).map(([n]) => n);
  }

  /** Subscribe: returns the current values and a way to stop; `cb` gets only changed fields. */
  subscribe(request: StatusRequest, cb: StatusCallback): { status: StatusSnapshot; unsubscribe: () => void } {
    const sub: Subscription = { request, cb, last: new Map() };
    const moment = new StatusMoment(this.printer(), this.monotonic());
    const status = this.snapshot(request, moment);
    this.remember(sub, status, moment);
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

  private remember(sub: Subscription, snap: StatusSnapshot, moment: StatusMoment): StatusSnapshot {
    const changes: StatusSnapshot = {};
    for (const [name, fields] of Object.entries(snap)) {
      for (const [k, v] of Object.entries(fields)) {
        const key = `${name}\0${k}`;
        const json = moment.fieldJson(name, k, v);
        if (sub.last.get(key) === json) continue;
        sub.last.set(key, json);
        (changes[name] ??= {})[k] = v;
      }
    }
    return changes;
  }

  private poll(): void {
    const moment = new StatusMoment(this.printer(), this.monotonic());
    for (const sub of [...this.subs]) {
      let changes: StatusSnapshot;
      try {
        changes = this.remember(sub, this.snapshot(sub.request, moment), moment);
      } catch {
        continue; // an object failing mid-restart: try again next time
      }
      if (Object.keys(changes).length) sub.cb(changes, moment.eventtime);
    }
  }
}
