// Timers that may run up to `slack` seconds late, so that periodic housekeeping (heater stats, fans,
// step-clock calibration, the link watchdog, clock queries) shares wake-ups instead of each waking
// the process on its own. Each wake-up costs the live host ~150 µs of runtime overhead on a small
// machine, more than most of these callbacks. A deferrable timer runs no earlier than asked, at the first of:
// - a wake-up the process makes anyway after that time (runDueDeferrables(), called by the event
//   sources: the reactor's timers and serial input), or
// - its deadline (asked time + slack), where every other due deferrable timer runs with it.
// Like Linux's timer slack: the lateness is bounded, the order among due timers is by asked time.
import { timerDelayMs } from "./timer-delay.ts";

export interface DeferrableTimer {
  /** Forget the timer (no-op once it ran). */
  cancel(): void;
}

interface Entry extends DeferrableTimer {
  /** performance.now() milliseconds */
  earliest: number;
  latest: number;
  cb: () => void;
}

/** The most housekeeping runs late (seconds). */
const HOUSEKEEPING_SLACK_MAX = 0.25;

/** Slack for housekeeping that waits `wait` seconds: a quarter of it, at most 0.25 s (0 for "now"). */
export function housekeepingSlack(wait: number): number {
  return Math.max(0, Math.min(HOUSEKEEPING_SLACK_MAX, wait / 4));
}

const pending: Entry[] = [];
let armed: ReturnType<typeof setTimeout> | null = null;
let armedFor = Infinity;

/** Run `cb` once, `delay` seconds from now or up to `slack` seconds later. */
export function setDeferrableTimeout(cb: () => void, delay: number, slack: number): DeferrableTimer {
  const earliest = performance.now() + Math.max(0, delay) * 1000;
  const entry: Entry = {
    earliest,
    latest: earliest + Math.max(0, slack) * 1000,
    cb,
    cancel: () => {
      const i = pending.indexOf(entry);
      if (i >= 0) pending.splice(i, 1);
    },
  };
  pending.push(entry);
  if (entry.latest < armedFor) arm(entry.latest);
  return entry;
}

/** Run every deferrable timer whose time has come; cheap when none has (the process is awake anyway). */
export function runDueDeferrables(): void {
  if (pending.length === 0) return;
  const now = performance.now();
  let due: Entry[] | null = null;
  for (const e of pending) if (e.earliest <= now) (due ??= []).push(e);
  if (!due) return;
  due.sort((a, b) => a.earliest - b.earliest);
  for (const e of due) e.cancel();
  for (const e of due) {
    try {
      e.cb();
    } catch (err) {
      // The caller may be an event source (serial input): the error goes where a plain setTimeout
      // callback's would, to the process's uncaught-exception handler, and the other timers still run.
      queueMicrotask(() => {
        throw err;
      });
    }
  }
  // Callbacks may have set new deferrable timers
  rearm();
}

/** Deferrable timers waiting (tests). */
export function pendingDeferrables(): number {
  return pending.length;
}

function rearm(): void {
  let latest = Infinity;
  for (const e of pending) latest = Math.min(latest, e.latest);
  if (latest !== armedFor) arm(latest);
}

function arm(latest: number): void {
  if (armed !== null) clearTimeout(armed);
  armed = null;
  armedFor = latest;
  if (latest === Infinity) return;
  armed = setTimeout(onDeadline, timerDelayMs((latest - performance.now()) / 1000));
}

function onDeadline(): void {
  armed = null;
  armedFor = Infinity;
  runDueDeferrables();
  if (armed === null) rearm();
}
