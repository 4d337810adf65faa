// Printer object status as the dashboard knows it: the subscribe snapshot merged with every
// notify_status_update change set; panels read it on each (frame-throttled) render.

export type Status = Record<string, Record<string, unknown>>;

export class StatusStore {
  readonly status: Status = {};
  private listeners = new Set<(s: Status) => void>();
  private scheduled = false;

  reset(): void {
    for (const k of Object.keys(this.status)) delete this.status[k];
    this.changed();
  }

  merge(changes: Status): void {
    for (const [obj, fields] of Object.entries(changes)) {
      if (fields === null || typeof fields !== "object") continue;
      this.status[obj] = { ...(this.status[obj] ?? {}), ...fields };
    }
    this.changed();
  }

  subscribe(cb: (s: Status) => void): void {
    this.listeners.add(cb);
  }

  get(obj: string): Record<string, unknown> {
    return this.status[obj] ?? {};
  }

  /** Render at most once per animation frame, however many updates arrive. */
  private changed(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      for (const cb of this.listeners) cb(this.status);
    });
  }
}

export function num(o: Record<string, unknown>, k: string): number | null {
  const v = o[k];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

export function str(o: Record<string, unknown>, k: string): string {
  const v = o[k];
  return typeof v === "string" ? v : "";
}
