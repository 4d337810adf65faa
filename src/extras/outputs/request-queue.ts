// Timed value requests for an output (fan speed, SET_PIN), the way klippy's GCodeRequestQueue works.
// G-code requests are placed on the motion timeline (at the print time when all earlier moves are
// done) and applied when the motion flush reaches them; asynchronous requests (heater fans, templates)
// are applied as soon as the MCU can schedule them. A request may ask to be discarded (no change), to
// be re-run after a delay (fan kick-start), or to be rescheduled.

/** What the apply callback may answer; undefined = applied normally. */
export type RequestResult = undefined | void | readonly ["discard" | "repeat" | "reschedule", number];
export type ApplyRequest = (printTime: number, value: number) => RequestResult;

/** The motion flush: calls back with the print time up to which everything must now be sent. */
export interface MotionQueuing {
  registerFlushCallback(cb: (mustFlushTime: number, maxStepGenTime: number) => void): void;
  /** Ask the flush to advance to at least `printTime`. */
  noteMcuMovequeueActivity(printTime: number, isStepGen?: boolean): void;
}

/** The toolhead's look-ahead: runs the callback with the print time at which queued moves end. */
export interface LookaheadHost {
  registerLookaheadCallback(cb: (printTime: number) => void): void;
}

/** Earliest lead time the MCU needs for a scheduled command. */
export const MIN_SCHEDULE_TIME = 0.1;

export class RequestQueue {
  private readonly queue: Array<[printTime: number, value: number]> = [];
  private nextMinFlushTime = 0;
  private motion: MotionQueuing | null = null;

  constructor(
    private readonly toolhead: () => LookaheadHost,
    /** Print time the MCU could schedule something at if sent now. */
    private readonly estimatedPrintTime: () => number,
    private readonly apply: ApplyRequest,
  ) {}

  /** Hook into the motion flush (once the toolhead exists); G-code requests need it. */
  attach(motion: MotionQueuing): void {
    if (this.motion) return;
    this.motion = motion;
    motion.registerFlushCallback((mustFlushTime) => this.flush(mustFlushTime));
  }

  private requireMotion(): MotionQueuing {
    if (!this.motion) throw new Error("output request queue used before the motion queue was attached");
    return this.motion;
  }

  private flush(mustFlushTime: number): void {
    const q = this.queue;
    while (q.length) {
      const nextTime = Math.max(q[0]![0], this.nextMinFlushTime);
      if (nextTime > mustFlushTime) return;
      // Requests already overridden by a later one due at the same time are skipped.
      let pos = 0;
      while (pos + 1 < q.length && q[pos + 1]![0] <= nextTime) pos++;
      const ret = this.apply(nextTime, q[pos]![1]);
      if (ret) {
        const [action, nextMinTime] = ret;
        this.nextMinFlushTime = Math.max(this.nextMinFlushTime, nextMinTime);
        if (action === "discard") {
          q.splice(0, pos + 1);
          continue;
        }
        if (action === "reschedule") {
          q.splice(0, pos);
          continue;
        }
        if (action === "repeat") pos--;
      }
      q.splice(0, pos + 1);
      this.nextMinFlushTime = Math.max(this.nextMinFlushTime, nextTime + MIN_SCHEDULE_TIME);
      this.requireMotion().noteMcuMovequeueActivity(this.nextMinFlushTime, false);
    }
  }

  /** A G-code request: takes effect after the moves queued before it. */
  queueGcodeRequest(value: number): void {
    const motion = this.requireMotion();
    this.toolhead().registerLookaheadCallback((printTime) => {
      this.queue.push([printTime, value]);
      motion.noteMcuMovequeueActivity(printTime, false);
    });
  }

  /** An immediate request (at `printTime`, or as soon as the MCU can schedule it). */
  sendAsyncRequest(value: number, printTime?: number): void {
    const t = printTime ?? this.estimatedPrintTime();
    for (;;) {
      const nextTime = Math.max(t, this.nextMinFlushTime);
      let action = "normal";
      const ret = this.apply(nextTime, value);
      if (ret) {
        action = ret[0];
        this.nextMinFlushTime = Math.max(this.nextMinFlushTime, ret[1]);
        if (action === "discard") break;
        if (action === "reschedule") continue;
      }
      this.nextMinFlushTime = Math.max(this.nextMinFlushTime, nextTime + MIN_SCHEDULE_TIME);
      if (action !== "repeat") break;
    }
  }
}
