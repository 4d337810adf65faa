// The one reactor interface (Klipper's reactor as the printer's modules see it): host time, named
// one-shot timers, timers that return their next wake time, pauses. The run mode sets
// printer.reactor: src/live's event loop on Bun's, or src/batch's simulated loop.

/** Wake as soon as possible. */
export const NOW = 0;
/** Never wake (until the timer is updated). */
export const NEVER = Number.POSITIVE_INFINITY;

/** A timer callback gets the wake time and returns the next one (NEVER to sleep until updated). */
export type TimerCallback = (eventtime: number) => number | Promise<number>;

export interface TimerOptions {
  /**
   * Periodic housekeeping (stats, fans, clock calibration) that may run a little late so that it
   * shares the live loop's wake-ups: late by up to housekeepingSlack() of its wait
   * (src/util/deferrable-timers.ts; live reactor only), never early. A timer asked for now still
   * runs now. Not for safety checks such as verify_heater, whose error sums count checks.
   */
  deferrable?: boolean;
}

export interface ReactorTimer {
  readonly name: string;
  /** Host time of the next call (NEVER when idle). */
  readonly waketime: number;
}

export interface Reactor {
  /** Host monotonic time (seconds); batch runs keep it at 0. */
  monotonic(): number;
  /** Let timers and input run now (Klipper's reactor.pause(NOW)); batch mode only. */
  yieldNow(): void;
  /** Resolve at host time `until` (live mode waits). */
  pause(until: number): Promise<void>;
  /** Schedule (or reschedule) a one-shot callback at host time `when`. */
  setTimer(name: string, when: number, cb: () => void, opts?: TimerOptions): void;
  cancelTimer(name: string): void;
  /** `cb` returns its next wake time (NEVER: until updateTimer). */
  registerTimer(name: string, cb: (eventtime: number) => number, waketime?: number, opts?: TimerOptions): ReactorTimer;
  updateTimer(timer: ReactorTimer, waketime: number): void;
  /** Run `cb` once at the loop's next timer pass (Klipper's register_callback). */
  registerCallback(cb: () => void): void;
}
