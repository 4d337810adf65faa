// Timer scheduler with the firmware's semantics: 32-bit wrapping wake times that are interpreted
// relative to "now", timers due at equal times run in insertion order, and adding a timer that is
// due before every other timer and already in the past is the "Timer too close" shutdown.
// Internally wake times are kept as absolute tick counts (exact integers in a double).

export const SF_DONE = 0;
export const SF_RESCHEDULE = 1;
export type TimerResult = typeof SF_DONE | typeof SF_RESCHEDULE;

export interface Timer {
  /** 32-bit wake time as firmware code computes it. */
  waketime: number;
  func: (t: Timer) => TimerResult;
  /** Scheduler bookkeeping: absolute wake time, insertion order, heap slot (-1 = not queued). */
  abs: number;
  order: number;
  slot: number;
}

export function createTimer(func: (t: Timer) => TimerResult): Timer {
  return { waketime: 0, func, abs: 0, order: 0, slot: -1 };
}

const TWO32 = 4294967296;
const MAX_REPEATS_AT_ONE_TIME = 2_000_000;

/** Signed 32-bit difference a - b of two wrapping clocks. */
export function clockDiff(a: number, b: number): number {
  return ((a - b) | 0);
}

/** True when 32-bit clock a is before b (the firmware's timer_is_before). */
export function timerIsBefore(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export class Scheduler {
  private heap: Timer[] = [];
  private nextOrder = 0;
  /** Current simulated time (absolute ticks): the wake time of the running timer, or the time a command arrived. */
  private cur = 0;

  private stuck = 0;

  /**
   * onTooClose is the firmware's try_shutdown("Timer too close"); onLate its "Rescheduled timer in the
   * past", called when a timer re-arms itself more than lateTicks before now or keeps re-arming at (or
   * before) the current time without time moving on, which would otherwise spin forever. onTooClose may
   * throw (it aborts the command or timer that added the timer); onLate must not.
   */
  constructor(
    private readonly onTooClose: () => void,
    private readonly onLate: () => void,
    private readonly lateTicks: number,
  ) {}

  get now64(): number {
    return this.cur;
  }
  get now32(): number {
    return this.cur % TWO32;
  }
  /** Moves simulated time forward (never backward: commands are processed no earlier than the last timer). */
  advanceTo(abs: number): void {
    if (abs > this.cur) this.cur = abs;
  }
  /** Absolute time of a 32-bit clock, taken to be within ±2^31 ticks of now as the firmware sees it. */
  toAbs(clock32: number): number {
    return this.cur + clockDiff(clock32, this.now32);
  }

  add(t: Timer): void {
    const abs = this.toAbs(t.waketime);
    const head = this.heap[0];
    if ((head === undefined || abs < head.abs) && abs < this.cur) this.onTooClose();
    this.insert(t, abs);
  }

  del(t: Timer): void {
    const i = t.slot;
    if (i < 0) return;
    t.slot = -1;
    const last = this.heap.pop()!;
    if (last !== t) {
      this.heap[i] = last;
      last.slot = i;
      this.siftDown(i);
      this.siftUp(last.slot);
    }
  }

  /** Removes every timer (shutdown and config reset). */
  clear(): void {
    for (const t of this.heap) t.slot = -1;
    this.heap.length = 0;
  }

  nextWake(): number | undefined {
    return this.heap[0]?.abs;
  }

  /**
   * Runs every timer due at or before `until` in time order; `onRun` wraps each call so the firmware
   * can turn a shutdown thrown by a timer into its shutdown sequence. Afterwards now = until.
   */
  runUntil(until: number, onRun: (t: Timer) => TimerResult | undefined): void {
    for (;;) {
      const t = this.heap[0];
      if (t === undefined || t.abs > until) break;
      this.del(t);
      if (t.abs > this.cur) this.cur = t.abs; // a timer re-armed in the past runs late, time does not go back
      const res = onRun(t);
      if (res !== SF_RESCHEDULE || t.slot >= 0) continue;
      const abs = this.toAbs(t.waketime);
      this.stuck = abs <= this.cur ? this.stuck + 1 : 0;
      if (abs < this.cur - this.lateTicks || this.stuck > MAX_REPEATS_AT_ONE_TIME) {
        this.stuck = 0;
        this.onLate(); // enters shutdown, which drops every timer: do not re-arm this one
        continue;
      }
      this.insert(t, abs);
    }
    this.advanceTo(until);
  }

  private insert(t: Timer, abs: number): void {
    if (t.slot >= 0) this.del(t);
    t.abs = abs;
    t.order = this.nextOrder++;
    t.slot = this.heap.length;
    this.heap.push(t);
    this.siftUp(t.slot);
  }

  private less(a: Timer, b: Timer): boolean {
    return a.abs < b.abs || (a.abs === b.abs && a.order < b.order);
  }

  private siftUp(i: number): void {
    const h = this.heap;
    const t = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (!this.less(t, parent)) break;
      h[i] = parent;
      parent.slot = i;
      i = p;
    }
    h[i] = t;
    t.slot = i;
  }

  private siftDown(i: number): void {
    const h = this.heap;
    const n = h.length;
    const t = h[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.less(h[c + 1]!, h[c]!)) c++;
      const child = h[c]!;
      if (!this.less(child, t)) break;
      h[i] = child;
      child.slot = i;
      i = c;
    }
    h[i] = t;
    t.slot = i;
  }
}
