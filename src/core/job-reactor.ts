// The event loop the job modules schedule on: the live reactor ("reactor" printer object) or a
// batch run's ("batch_reactor"), which share this timer shape. Batch host time stands still,
// so timers set for later never fire there, as in Klipper's file-output mode.
import type { Printer } from "./printer.ts";

export const NOW = 0;
export const NEVER = Number.POSITIVE_INFINITY;

export interface JobTimer {
  readonly name: string;
}

export interface JobReactor {
  monotonic(): number;
  /** `cb` returns its next wake time (NEVER: until updateTimer). */
  registerTimer(name: string, cb: (eventtime: number) => number, waketime?: number): JobTimer;
  updateTimer(timer: JobTimer, waketime: number): void;
}

export function lookupJobReactor(printer: Printer): JobReactor {
  const r = printer.lookupObject<JobReactor>("reactor", null) ?? printer.lookupObject<JobReactor>("batch_reactor", null);
  if (!r) throw new Error("no event loop ('reactor' printer object) for timers");
  return r;
}
