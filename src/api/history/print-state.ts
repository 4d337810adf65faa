// print_stats as the history and job queue see it: the merged current values from a Host object
// subscription, with a callback on every change of state (standby → printing → complete, …).
import type { Host } from "../../core/host.ts";

export interface PrintStats {
  state: string;
  filename: string;
  print_duration: number;
  total_duration: number;
  filament_used: number;
}

const EMPTY: PrintStats = { state: "standby", filename: "", print_duration: 0, total_duration: 0, filament_used: 0 };

function merge(into: PrintStats, fields: Record<string, unknown> | undefined): void {
  if (!fields) return;
  if (typeof fields.state === "string") into.state = fields.state;
  if (typeof fields.filename === "string") into.filename = fields.filename;
  for (const k of ["print_duration", "total_duration", "filament_used"] as const) if (typeof fields[k] === "number") into[k] = fields[k];
}

/** Watch print_stats; `onState(prev, now)` runs on every state change (first with prev "standby"). */
export function watchPrintStats(host: Host, onState: (prev: string, now: PrintStats) => void): { current: PrintStats; stop(): void } {
  const current = { ...EMPTY };
  let last = current.state;
  const check = () => {
    if (current.state === last) return;
    const prev = last;
    last = current.state;
    onState(prev, current);
  };
  const sub = host.subscribeObjects({ print_stats: null }, (changes) => {
    merge(current, changes.print_stats);
    check();
  });
  merge(current, sub.status.print_stats);
  check();
  return { current, stop: () => sub.unsubscribe() };
}
