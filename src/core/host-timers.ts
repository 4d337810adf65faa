// Host-side timer helpers on the printer's reactor (heater checks and fans, M109 waits, job
// timers, display updates, bulk sensors): periodic callbacks, sleeps, host time. Without a reactor
// (bare tests) timers do not run; in batch runs host time stands still, so later timers never fire,
// as in Klipper's file-output mode.
import type { Reactor, TimerOptions } from "./reactor.ts";

/** What the helpers need from the printer: the reactor its run mode set, and its start args. */
export interface TimerHost {
  readonly reactor: Reactor | null;
  readonly startArgs: Readonly<Record<string, unknown>>;
}

/** The printer's reactor, or null before a run mode set one. */
export function lookupReactor(printer: TimerHost): Reactor | null {
  return printer.reactor;
}

/** The printer's reactor; modules that cannot work without one (job timers) ask for it here. */
export function requireReactor(printer: TimerHost): Reactor {
  if (!printer.reactor) throw new Error("no event loop (printer.reactor) for timers");
  return printer.reactor;
}

/** Host monotonic seconds: the reactor's clock, or the process clock before there is one. */
export function hostTime(printer: TimerHost): number {
  return lookupReactor(printer)?.monotonic() ?? performance.now() / 1000;
}

/** For startPeriodic: housekeeping (stats, fans, host sensors) that may run a little late to share wake-ups. */
export const HOUSEKEEPING: TimerOptions = { deferrable: true };

/**
 * Run `cb(eventTime)` at `first` and then whenever it asks (it returns the next wake time, or null to
 * stop). Returns a stop function. Does nothing when the printer has no reactor. Safety checks
 * (heaters, drivers) keep their time; housekeeping passes HOUSEKEEPING.
 */
export function startPeriodic(
  printer: TimerHost, name: string, first: number, cb: (eventTime: number) => number | null, opts: TimerOptions = {},
): () => void {
  const reactor = lookupReactor(printer);
  if (!reactor) return () => {};
  let stopped = false;
  const fire = () => {
    if (stopped) return;
    const next = cb(reactor.monotonic());
    if (next !== null && !stopped) reactor.setTimer(name, next, fire, opts);
  };
  reactor.setTimer(name, first, fire, opts);
  return () => {
    stopped = true;
    reactor.cancelTimer(name);
  };
}

let sleepSeq = 0;

/** Resolve at host time `when`; false when there is no event loop to wait on. */
export async function sleepUntil(printer: TimerHost, when: number): Promise<boolean> {
  const reactor = lookupReactor(printer);
  if (!reactor) return false;
  await new Promise<void>((resolve) => reactor.setTimer(`heaters:wait:${++sleepSeq}`, when, resolve));
  return true;
}

/** Batch (file output) run: nothing is heated, so nothing waits for temperatures. */
export function isFileOutput(printer: TimerHost): boolean {
  return printer.startArgs.debugoutput !== undefined && printer.startArgs.debugoutput !== null;
}
