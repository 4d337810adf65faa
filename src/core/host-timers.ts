// Host-side timers for the temperature modules (verify_heater checks, heater fans, the once-a-second
// heater check-in, M109 waits), on the printer's event loop: the "reactor" printer object, which has
// the same shape as the toolhead's reactor. Without one (batch runs, bare tests) timers do not run,
// as in Klipper's file-output mode.
import type { ToolheadReactor } from "../motion/toolhead.ts";
import type { Printer } from "./printer.ts";

export type HostReactor = ToolheadReactor;

/** The live event loop ("reactor") or the batch run's ("batch_reactor"). */
export function lookupReactor(printer: Printer): HostReactor | null {
  return printer.lookupObject<HostReactor>("reactor", null) ?? printer.lookupObject<HostReactor>("batch_reactor", null);
}

/** Host monotonic seconds: the reactor's clock, or the process clock before there is one. */
export function hostTime(printer: Printer): number {
  return lookupReactor(printer)?.monotonic() ?? performance.now() / 1000;
}

/**
 * Run `cb(eventTime)` at `first` and then whenever it asks (it returns the next wake time, or null to
 * stop). Returns a stop function. Does nothing when the printer has no reactor.
 */
export function startPeriodic(printer: Printer, name: string, first: number, cb: (eventTime: number) => number | null): () => void {
  const reactor = lookupReactor(printer);
  if (!reactor) return () => {};
  let stopped = false;
  const fire = () => {
    if (stopped) return;
    const next = cb(reactor.monotonic());
    if (next !== null && !stopped) reactor.setTimer(name, next, fire);
  };
  reactor.setTimer(name, first, fire);
  return () => {
    stopped = true;
    reactor.cancelTimer(name);
  };
}

let sleepSeq = 0;

/** Resolve at host time `when`; false when there is no event loop to wait on. */
export async function sleepUntil(printer: Printer, when: number): Promise<boolean> {
  const reactor = lookupReactor(printer);
  if (!reactor) return false;
  await new Promise<void>((resolve) => reactor.setTimer(`heaters:wait:${++sleepSeq}`, when, resolve));
  return true;
}

/** Batch (file output) run: nothing is heated, so nothing waits for temperatures. */
export function isFileOutput(printer: Printer): boolean {
  return printer.startArgs.debugoutput !== undefined && printer.startArgs.debugoutput !== null;
}
