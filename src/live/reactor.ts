// The live event loop (Klipper's reactor) on Bun's own loop: host monotonic time, timers that
// return their next wake time (one-shot or periodic), awaitable pauses and completions. Live
// G-code handlers wait by awaiting (pause, completion.wait); nothing here blocks the loop.
import { NEVER, NOW, type Reactor, type ReactorTimer, type TimerCallback, type TimerOptions } from "../core/reactor.ts";
import { type DeferrableTimer, housekeepingSlack, runDueDeferrables, setDeferrableTimeout } from "../util/deferrable-timers.ts";
import { timerDelayMs } from "../util/timer-delay.ts";

export { NEVER, NOW, type ReactorTimer, type TimerCallback };

interface TimerState extends ReactorTimer {
  waketime: number;
  cb: TimerCallback;
  handle: ReturnType<typeof setTimeout> | null;
  /** Armed as a deferrable timer instead (TimerOptions.deferrable) */
  deferred: DeferrableTimer | null;
  deferrable: boolean;
  running: boolean;
  registered: boolean;
  /** Next wake time a named one-shot timer asked for from inside its own callback. */
  rearm: number;
  /** setTimeout's callback, made once per timer (no closure per wake-up) */
  fire: () => void;
}

/** A result that some other task will deliver (Klipper's reactor completion). */
export class Completion<T> {
  private result: { value: T } | null = null;
  private waiters: ((value: T) => void)[] = [];

  constructor(private readonly reactor: LiveReactor) {}

  complete(value: T): void {
    if (this.result) return;
    this.result = { value };
    for (const w of this.waiters.splice(0)) w(value);
  }

  test(): boolean {
    return this.result !== null;
  }

  /** The result, or `def` if host time `until` passes first. */
  async wait(until: number = NEVER, def?: T): Promise<T | undefined> {
    if (this.result) return this.result.value;
    return new Promise<T | undefined>((resolve) => {
      let timer: ReactorTimer | null = null;
      const done = (v: T | undefined) => {
        if (timer) this.reactor.unregisterTimer(timer);
        resolve(v);
      };
      this.waiters.push(done);
      if (until !== NEVER)
        timer = this.reactor.registerTimer(
          "completion:wait",
          () => {
            this.waiters.splice(this.waiters.indexOf(done), 1);
            done(def);
            return NEVER;
          },
          until,
        );
    });
  }
}

export interface LiveReactorOptions {
  /** Where errors thrown by timer callbacks go (default: stderr). The timer stops. */
  onTimerError?: (name: string, error: unknown) => void;
}

/** Host monotonic seconds: the clock the MCU links' clock sync uses (performance.now()). */
export const hostMonotonic = (): number => performance.now() / 1000;

export class LiveReactor implements Reactor {
  private readonly named = new Map<string, TimerState>();
  private readonly timers = new Set<TimerState>();
  private readonly onTimerError: (name: string, error: unknown) => void;
  private closed = false;

  constructor(opts: LiveReactorOptions = {}) {
    this.onTimerError = opts.onTimerError ?? ((name, e) => console.error(`reactor: timer '${name}' failed:`, e));
  }

  monotonic(): number {
    return hostMonotonic();
  }

  /** Register a timer; it first runs at `waketime` and then whenever its callback asks. */
  registerTimer(name: string, cb: TimerCallback, waketime: number = NEVER, opts: TimerOptions = {}): ReactorTimer {
    const t: TimerState = {
      name, waketime: NEVER, cb, handle: null, deferred: null, deferrable: opts.deferrable ?? false,
      running: false, registered: true, rearm: NEVER, fire: () => this.fire(t),
    };
    this.timers.add(t);
    this.arm(t, waketime);
    return t;
  }

  /** Change when a timer runs next (ignored while its callback runs: the callback's answer wins). */
  updateTimer(timer: ReactorTimer, waketime: number): void {
    const t = timer as TimerState;
    if (!t.registered || t.running) return;
    this.arm(t, waketime);
  }

  unregisterTimer(timer: ReactorTimer): void {
    const t = timer as TimerState;
    t.registered = false;
    this.disarm(t);
    this.timers.delete(t);
    if (this.named.get(t.name) === t) this.named.delete(t.name);
  }

  /** Run `cb` once at `waketime` (default: as soon as the loop gets a turn). */
  registerCallback(cb: (eventtime: number) => unknown, waketime: number = NOW): ReactorTimer {
    const t = this.registerTimer(
      "callback",
      async (eventtime) => {
        this.unregisterTimer(t);
        await cb(eventtime);
        return NEVER;
      },
      waketime,
    );
    return t;
  }

  // ---- the toolhead's named one-shot timers ----

  /** Run `cb` once at `when`; setting a name again replaces its callback and time (also from
   * inside that callback, which is how periodic work re-arms itself). */
  setTimer(name: string, when: number, cb: () => void, opts: TimerOptions = {}): void {
    let t = this.named.get(name);
    if (!t) {
      t = this.registerTimer(name, () => NEVER, NEVER, opts) as TimerState;
      this.named.set(name, t);
    }
    const state = t;
    state.cb = () => {
      state.rearm = NEVER;
      cb();
      // Done and not re-armed: forget the name (callers may use a fresh name per wait)
      if (state.rearm === NEVER) this.unregisterTimer(state);
      return state.rearm;
    };
    if (state.running) state.rearm = when;
    else this.arm(state, when);
  }

  cancelTimer(name: string): void {
    const t = this.named.get(name);
    if (t) this.unregisterTimer(t);
  }

  /** Live mode cannot run other tasks inside a synchronous call: they run at the next await. */
  yieldNow(): void {}

  // ---- waiting ----

  /** Resolve at host time `until` (at once, after other ready tasks, if it has passed). */
  pause(until: number): Promise<void> {
    return new Promise((resolve) => {
      // a timer may still fire a hair early (clock granularity): wait on if so
      const wait = () => {
        const left = until - this.monotonic();
        if (left <= 0) resolve();
        else setTimeout(wait, Math.max(1, timerDelayMs(left)));
      };
      setTimeout(wait, timerDelayMs(until - this.monotonic()));
    });
  }

  completion<T>(): Completion<T> {
    return new Completion<T>(this);
  }

  /** Stop every timer (end of a run); later registrations stay idle. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) this.disarm(t);
    this.timers.clear();
    this.named.clear();
  }

  /** Number of registered timers, idle or not. */
  get timerCount(): number {
    return this.timers.size;
  }

  /** Number of timers that will run again (for shutdown checks and tests). */
  get activeTimers(): number {
    let n = 0;
    for (const t of this.timers) if (t.waketime !== NEVER || t.running) n++;
    return n;
  }

  private disarm(t: TimerState): void {
    if (t.handle !== null) clearTimeout(t.handle);
    t.handle = null;
    t.deferred?.cancel();
    t.deferred = null;
    t.waketime = NEVER;
  }

  private arm(t: TimerState, waketime: number): void {
    this.disarm(t);
    if (this.closed || !t.registered || waketime === NEVER) return;
    t.waketime = waketime;
    const wait = waketime - this.monotonic();
    const slack = t.deferrable ? housekeepingSlack(wait) : 0;
    if (slack > 0) t.deferred = setDeferrableTimeout(t.fire, wait, slack);
    else t.handle = setTimeout(t.fire, timerDelayMs(wait));
  }

  private fire(t: TimerState): void {
    t.handle = null;
    t.deferred = null;
    const now = this.monotonic();
    // never run a timer before its time (a timer may still fire a hair early)
    if (now < t.waketime) {
      t.handle = setTimeout(t.fire, Math.max(1, timerDelayMs(t.waketime - now)));
      return;
    }
    const eventtime = t.waketime;
    t.waketime = NEVER;
    t.running = true;
    const finish = (next: number) => {
      t.running = false;
      if (t.registered) this.arm(t, next);
    };
    const fail = (e: unknown) => {
      t.running = false;
      this.onTimerError(t.name, e);
    };
    try {
      const next = t.cb(Math.max(eventtime, now));
      if (typeof next === "number") finish(next);
      else next.then(finish, fail);
    } catch (e) {
      fail(e);
    }
    // Awake anyway: housekeeping that is due runs now rather than waking the loop again
    if (!t.deferrable) runDueDeferrables();
  }
}
