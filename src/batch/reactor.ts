// The event loop of a batch (file output) run. Klipper's batch mode runs on its
// real reactor, but with the MCU's estimated print time pinned at 0 nothing in
// the motion path waits on wall-clock time: what matters is only *when the
// loop gets a turn* — between blocks of g-code input, and where a command
// yields (the toolhead's "let others run" pause). At each turn the input is
// read on (if it may be) and then the due timers run in registration order.
// Host time stays at 0, so timers set for a later host time never fire.
import { NEVER, type Reactor } from "../core/reactor.ts";

interface Timer {
  name: string;
  waketime: number;
  running: boolean;
  /** Returns the next wake time. */
  cb: (eventtime: number) => number;
}

export class BatchReactor implements Reactor {
  private timers: Timer[] = [];
  /** Input reading hook run at the start of every turn. */
  onTurn: (() => void) | null = null;

  monotonic(): number {
    return 0;
  }

  registerTimer(name: string, cb: (eventtime: number) => number, waketime = NEVER): Timer {
    const t: Timer = { name, waketime, running: false, cb };
    this.timers = [...this.timers, t];
    return t;
  }

  /** Klipper's update_timer: ignored while the timer's own callback runs. */
  updateTimer(t: Timer, waketime: number): void {
    if (t.running) return;
    t.waketime = waketime;
  }

  setTimer(name: string, when: number, cb: () => void): void {
    const existing = this.timers.find((t) => t.name === name);
    const wrapped = () => {
      cb();
      return NEVER;
    };
    if (existing) {
      existing.cb = wrapped;
      this.updateTimer(existing, when);
    } else this.registerTimer(name, wrapped, when);
  }

  cancelTimer(name: string): void {
    const t = this.timers.find((x) => x.name === name);
    if (t) this.updateTimer(t, NEVER);
  }

  /** Run every due timer once, in registration order. */
  runDueTimers(): void {
    const now = this.monotonic();
    for (const t of this.timers) {
      if (now < t.waketime) continue;
      t.waketime = NEVER;
      t.running = true;
      try {
        t.waketime = t.cb(now);
      } finally {
        t.running = false;
      }
    }
  }

  /** One loop turn: read input on, then run due timers. */
  turn(): void {
    this.onTurn?.();
    this.runDueTimers();
  }

  /** A command yields to the loop (Klipper's reactor.pause(NOW)). */
  yieldNow(): void {
    this.turn();
  }

  /** Batch output never waits for host time (estimated print time stays 0). */
  pause(_until: number): Promise<void> {
    throw new Error("internal error: a batch run never waits for host time");
  }
}
