// Step compression: turns a stepper's step clocks into `queue_step oid interval count add`
// commands (each step k of a command fires at last + (k+1)*interval + add*k*(k+1)/2)
// within `maxError` ticks, plus `set_next_step_dir` on direction changes. Same algorithm
// semantics as Klipper's stepcompress (add bisection, int32/uint32 arithmetic, the
// 64K-step window, the 3<<28 far-step rule, the step+dir+step filter), so the emitted
// commands agree with Klipper's command for command.
//
// API (stable; used by itersolve, McuStepper and the step sync):
//   const sc = new StepCompress(queue);           // queue: where commands go (a SyncEmitter's)
//   sc.configure(oid, maxErrorTicks);             // at config time
//   sc.setInvertSdir(invert); sc.setTime(timeOffset, mcuFreq);
//   sc.append(sdir, movePrintTime, stepTime);      // from the solver (sdir 1 = positive)
//   sc.commit();                                  // pending step can no longer be rolled back
//   sc.flush(moveClock);                          // compress steps before moveClock
//   sc.reset(lastStepClock); sc.setLastPosition(clock, pos); sc.findPastPosition(clock)
//   sc.historyExpire(endClock); sc.extractOld(max, startClock, endClock)
//   sc.getStepDir()                              // direction of the latest step
// Clocks are integers held in JS numbers (exact below 2^53). Errors throw StepCompressError.

export class StepCompressError extends Error {}

/** A command for the MCU's move queue, encoded later by the step sync. */
export interface StepMessage {
  name: string;
  params: Record<string, number>;
  /** Non-zero: uses a move-queue slot and may not go out before this clock. */
  minClock: number;
  reqClock: number;
}

/** Where a stepper's commands are queued (implemented by SyncEmitter). */
export interface MessageSink { push(msg: StepMessage): void; }

export interface HistorySteps {
  firstClock: number; lastClock: number; startPosition: number;
  stepCount: number; interval: number; add: number;
}

const QUEUE_START_SIZE = 1024;
export const CLOCK_DIFF_MAX = 3 << 28;
const QUADRATIC_DEV = 11;
// n*(n-1)/2 is computed as Math.imul(n, n - 1) >> 1: the product is even, so the shift divides exactly
// (also after int32 wrap-around), without an integer division instruction.
const SDS_FILTER_TIME = .000750;
const INT32_MIN = -0x80000000;
const TWO32 = 4294967296;
// History ring layout (doubles per entry).
const H_FIRST = 0, H_LAST = 1, H_START = 2, H_COUNT = 3, H_INTERVAL = 4, H_ADD = 5, H_STRIDE = 6;

// Step windows of the queued steps compress() has looked at, relative to queuePos: it rescans
// them for every add it tries, and checkLine() checks its result against them (they cover at
// least the chosen count). Shared: compress() is never re-entered.
const WINDOW_MIN = new Int32Array(65536), WINDOW_MAX = new Int32Array(65536);

/**
 * A queued step may go out in [windowMin, point] (clocks relative to lastStepClock): up to
 * maxError early, and no earlier than halfway from the previous step (prevpoint, 0 for the first).
 */
function windowMin(point: number, prevpoint: number, maxError: number): number {
  let maxErr = Math.floor((point - prevpoint) / 2);
  if (maxErr > maxError) maxErr = maxError;
  return (point - maxErr) | 0;
}

function idivUp(n: number, d: number): number {
  return n >= 0 ? (((n + d - 1) | 0) / d) | 0 : (n / d) | 0;
}
function idivDown(n: number, d: number): number {
  return n >= 0 ? (n / d) | 0 : (((n - d + 1) | 0) / d) | 0;
}

export class StepCompress {
  oid = 0;
  maxError = 0;
  private queue = new Float64Array(0);
  private queuePos = 0;
  private queueNext = 0;
  private mcuTimeOffset = 0;
  private mcuFreq = 1;
  private lastStepPrintTime = 0;
  lastStepClock = 0;
  private sdir = -1;
  private invertSdir = 0;
  private nextStepClock = 0;
  private nextStepDir = 0;
  private lastPosition = 0;
  // History of sent queue_step commands, newest at the end of a ring.
  private hist = new Float64Array(64 * H_STRIDE);
  private histStart = 0;
  private histLen = 0;
  // Result of compress() without allocating.
  private mvInterval = 0;
  private mvCount = 0;
  private mvAdd = 0;

  constructor(private readonly sink: MessageSink) {}

  configure(oid: number, maxErrorTicks: number): void {
    this.oid = oid;
    this.maxError = maxErrorTicks >>> 0;
  }

  setInvertSdir(invert: boolean | number): void {
    const inv = invert ? 1 : 0;
    if (inv !== this.invertSdir) {
      this.invertSdir = inv;
      if (this.sdir >= 0) this.sdir ^= 1;
    }
  }

  getStepDir(): number { return this.nextStepDir; }

  setTime(timeOffset: number, mcuFreq: number): void {
    this.mcuTimeOffset = timeOffset;
    this.mcuFreq = mcuFreq;
    this.calcLastStepPrintTime();
  }

  private calcLastStepPrintTime(): void {
    this.lastStepPrintTime = this.mcuTimeOffset + (this.lastStepClock - .5) / this.mcuFreq;
  }

  /** Find the queue_step covering the most queued steps (result in mv*). */
  private compress(): void {
    const pos = this.queuePos;
    let qlast = this.queueNext;
    if (qlast > pos + 65535) qlast = pos + 65535;
    const q = this.queue, lsc = this.lastStepClock, maxError = this.maxError;
    const point0 = q[pos]! - lsc;
    let outerMin = windowMin(point0, 0, maxError), outerMax = point0 | 0;
    const mins = WINDOW_MIN, maxs = WINDOW_MAX;
    mins[0] = outerMin; maxs[0] = outerMax;
    let filled = 1;
    let add = 0, minadd = -0x8000, maxadd = 0x7fff;
    let bestinterval = 0, bestcount = 1, bestadd = 1, bestreach = INT32_MIN;
    let zerointerval = 0, zerocount = 0;
    const maxError11 = Math.imul(this.maxError, QUADRATIC_DEV) >>> 0;
    for (;;) {
      let nextmin = outerMin, nextmax = outerMax, interval = nextmax;
      let nextcount = 1;
      let npMin = 0, npMax = 0;
      for (;;) {
        nextcount++;
        if (pos + nextcount - 1 >= qlast) {
          this.mvInterval = interval; this.mvCount = nextcount - 1; this.mvAdd = add;
          return;
        }
        const k = nextcount - 1;
        if (k < filled) {
          npMin = mins[k]!; npMax = maxs[k]!;
        } else {
          // Window of step pos+k, kept for the next add tried
          const point = q[pos + k]! - lsc;
          npMin = mins[k] = windowMin(point, q[pos + k - 1]! - lsc, maxError); npMax = maxs[k] = point | 0;
          filled = k + 1;
        }
        const nextaddfactor = Math.imul(nextcount, nextcount - 1) >> 1;
        const c = Math.imul(add, nextaddfactor);
        if (Math.imul(nextmin, nextcount) < ((npMin - c) | 0))
          nextmin = idivUp((npMin - c) | 0, nextcount);
        if (Math.imul(nextmax, nextcount) > ((npMax - c) | 0))
          nextmax = idivDown((npMax - c) | 0, nextcount);
        if (nextmin > nextmax) break;
        interval = nextmax;
      }
      const count = nextcount - 1, addfactor = Math.imul(count, count - 1) >> 1;
      const reach = (Math.imul(add, addfactor) + Math.imul(interval, count)) | 0;
      if (reach > bestreach || (reach === bestreach && interval > bestinterval)) {
        bestinterval = interval; bestcount = count; bestadd = add; bestreach = reach;
        if (!add) { zerointerval = interval; zerocount = count; }
        if (count > 0x200) break; // no add improves on this; avoid int32 overflow
      }
      const nextaddfactor = Math.imul(nextcount, nextcount - 1) >> 1;
      const nextreach = (Math.imul(add, nextaddfactor) + Math.imul(interval, nextcount)) | 0;
      if (nextreach < npMin) { minadd = add + 1; outerMax = nextmax; }
      else { maxadd = add - 1; outerMin = nextmin; }
      if (count > 1) {
        // Two quadratic sequences within maxError can't differ in add by more than this.
        const errdelta = Math.floor(maxError11 / (count * count)) | 0; // count <= 65535: exact, as uint32
        if (minadd < add - errdelta) minadd = add - errdelta;
        if (maxadd > add + errdelta) maxadd = add + errdelta;
      }
      let c = Math.imul(outerMax, nextcount);
      if (Math.imul(minadd, nextaddfactor) < ((npMin - c) | 0))
        minadd = idivUp((npMin - c) | 0, nextaddfactor);
      c = Math.imul(outerMin, nextcount);
      if (Math.imul(maxadd, nextaddfactor) > ((npMax - c) | 0))
        maxadd = idivDown((npMax - c) | 0, nextaddfactor);
      if (minadd > maxadd) break;
      add = maxadd - (((maxadd - minadd) / 4) | 0);
    }
    if (zerocount + ((zerocount / 16) | 0) >= bestcount) {
      this.mvInterval = zerointerval; this.mvCount = zerocount; this.mvAdd = 0;
    } else {
      this.mvInterval = bestinterval; this.mvCount = bestcount; this.mvAdd = bestadd;
    }
  }

  private lineDesc(interval: number, count: number, add: number): string {
    return `stepcompress o=${this.oid} i=${interval} c=${count} a=${add}`;
  }

  /** Verify the command compress() found reproduces every queued step within its window. */
  private checkLine(interval: number, count: number, add: number): void {
    if (!count || (!interval && !add && count > 1) || interval >= 0x80000000 || interval < 0)
      throw new StepCompressError(`${this.lineDesc(interval, count, add)}: Invalid sequence`);
    const mins = WINDOW_MIN, maxs = WINDOW_MAX;
    let iv = interval, p = 0;
    for (let i = 0; i < count; i++) {
      const minp = mins[i]!, maxp = maxs[i]!;
      p = (p + iv) >>> 0;
      if (p < (minp >>> 0) || p > (maxp >>> 0))
        throw new StepCompressError(`${this.lineDesc(interval, count, add)}: Point ${i + 1}: ${p | 0} not in ${minp}:${maxp}`);
      if (iv >= 0x80000000)
        throw new StepCompressError(`${this.lineDesc(interval, count, add)}: Point ${i + 1}: interval overflow ${iv | 0}`);
      iv = (iv + add) >>> 0;
    }
  }

  private addMove(firstClock: number, interval: number, count: number, add: number): void {
    const addfactor = Math.imul(count, count - 1) >> 1;
    const ticks = (Math.imul(add, addfactor) + Math.imul(interval, count - 1)) >>> 0;
    const lastClock = firstClock + ticks;
    const lsc = this.lastStepClock;
    let reqClock = lsc;
    if (count === 1 && firstClock >= lsc + CLOCK_DIFF_MAX) reqClock = firstClock;
    this.sink.push({
      name: "queue_step",
      params: { oid: this.oid, interval: interval >>> 0, count, add },
      minClock: lsc, reqClock,
    });
    this.lastStepClock = lastClock;
    const stepCount = this.sdir ? count : -count;
    this.histPush(firstClock, lastClock, this.lastPosition, stepCount, interval, add);
    this.lastPosition += stepCount;
  }

  private queueFlush(moveClock: number): void {
    if (this.queuePos >= this.queueNext) return;
    while (this.lastStepClock < moveClock) {
      this.compress();
      const interval = this.mvInterval, count = this.mvCount, add = this.mvAdd;
      this.checkLine(interval, count, add);
      this.addMove(this.lastStepClock + interval, interval, count, add);
      if (this.queuePos + count >= this.queueNext) {
        this.queuePos = this.queueNext = 0;
        break;
      }
      this.queuePos += count;
    }
    this.calcLastStepPrintTime();
  }

  private flushFar(absStepClock: number): void {
    const interval = (absStepClock - this.lastStepClock) % TWO32;
    this.addMove(absStepClock, interval, 1, 0);
    this.calcLastStepPrintTime();
  }

  private setNextStepDir(sdir: number): void {
    if (this.sdir === sdir) return;
    this.queueFlush(Infinity);
    this.sdir = sdir;
    this.sink.push({
      name: "set_next_step_dir",
      params: { oid: this.oid, dir: sdir ^ this.invertSdir },
      minClock: 0, reqClock: this.lastStepClock,
    });
  }

  private queueAppendFar(): void {
    const stepClock = this.nextStepClock;
    this.nextStepClock = 0;
    this.queueFlush(stepClock - CLOCK_DIFF_MAX + 1);
    if (stepClock >= this.lastStepClock + CLOCK_DIFF_MAX) {
      this.flushFar(stepClock);
      return;
    }
    if (this.queueNext >= this.queue.length) this.makeRoom();
    this.queue[this.queueNext++] = stepClock;
  }

  /** Shift or grow the step buffer the way Klipper does (affects where long runs split). */
  private makeRoom(): void {
    const inUse = this.queueNext - this.queuePos;
    if (this.queuePos > 0) {
      this.queue.copyWithin(0, this.queuePos, this.queueNext);
    } else {
      let alloc = this.queue.length || QUEUE_START_SIZE;
      while (inUse >= alloc) alloc *= 2;
      const q = new Float64Array(alloc);
      q.set(this.queue.subarray(0, inUse));
      this.queue = q;
    }
    this.queuePos = 0;
    this.queueNext = inUse;
  }

  private queueAppendExtend(): void {
    if (this.queueNext - this.queuePos > 65535 + 2000) {
      // No point in keeping more than 64K steps in memory
      const flush = (this.queue[this.queueNext - 65535]! - this.lastStepClock) >>> 0;
      this.queueFlush(this.lastStepClock + flush);
    }
    if (this.queueNext >= this.queue.length) this.makeRoom();
    this.queue[this.queueNext++] = this.nextStepClock;
    this.nextStepClock = 0;
  }

  private queueAppend(): void {
    if (this.nextStepDir !== this.sdir) this.setNextStepDir(this.nextStepDir);
    if (this.nextStepClock >= this.lastStepClock + CLOCK_DIFF_MAX) { this.queueAppendFar(); return; }
    if (this.queueNext >= this.queue.length) { this.queueAppendExtend(); return; }
    this.queue[this.queueNext++] = this.nextStepClock;
    this.nextStepClock = 0;
  }

  /** Add a step at `stepTime` seconds after `printTime` in direction sdir (1 = positive). */
  append(sdir: number, printTime: number, stepTime: number): void {
    const offset = printTime - this.lastStepPrintTime;
    const relSc = (stepTime + offset) * this.mcuFreq;
    const stepClock = this.lastStepClock + Math.trunc(relSc);
    if (this.nextStepClock) {
      if (sdir !== this.nextStepDir) {
        const diff = stepClock - this.nextStepClock;
        if (diff < SDS_FILTER_TIME * this.mcuFreq) {
          // Roll back the last step rather than emit step+dir+step
          this.nextStepClock = 0;
          this.nextStepDir = sdir;
          return;
        }
      }
      this.queueAppend();
    }
    this.nextStepClock = stepClock;
    this.nextStepDir = sdir;
  }

  commit(): void { if (this.nextStepClock) this.queueAppend(); }

  flush(moveClock: number): void {
    if (this.nextStepClock && moveClock >= this.nextStepClock) this.queueAppend();
    this.queueFlush(moveClock);
  }

  reset(lastStepClock: number): void {
    this.flush(Infinity);
    this.lastStepClock = lastStepClock;
    this.sdir = -1;
    this.calcLastStepPrintTime();
  }

  setLastPosition(clock: number, lastPosition: number): void {
    this.flush(Infinity);
    this.lastPosition = lastPosition;
    this.histPush(clock, clock, lastPosition, 0, 0, 0);
  }

  private histPush(first: number, last: number, start: number, count: number, interval: number, add: number): void {
    const cap = this.hist.length / H_STRIDE;
    if (this.histLen === cap) {
      const h = new Float64Array(cap * 2 * H_STRIDE);
      for (let i = 0; i < this.histLen; i++) {
        const src = ((this.histStart + i) % cap) * H_STRIDE;
        h.set(this.hist.subarray(src, src + H_STRIDE), i * H_STRIDE);
      }
      this.hist = h; this.histStart = 0;
    }
    const c = this.hist.length / H_STRIDE;
    const b = ((this.histStart + this.histLen) % c) * H_STRIDE, h = this.hist;
    h[b + H_FIRST] = first; h[b + H_LAST] = last; h[b + H_START] = start;
    h[b + H_COUNT] = count; h[b + H_INTERVAL] = interval; h[b + H_ADD] = add;
    this.histLen++;
  }

  /** Base offset of the k-th newest history entry. */
  private histAt(k: number): number {
    const cap = this.hist.length / H_STRIDE;
    return ((this.histStart + this.histLen - 1 - k) % cap) * H_STRIDE;
  }

  historyExpire(endClock: number): void {
    const cap = this.hist.length / H_STRIDE;
    while (this.histLen) {
      const b = this.histStart * H_STRIDE;
      if (this.hist[b + H_LAST]! > endClock) break;
      this.histStart = (this.histStart + 1) % cap;
      this.histLen--;
    }
  }

  /** Stepper position (in steps) at `clock`, from the commands already generated. */
  findPastPosition(clock: number): number {
    let lastPosition = this.lastPosition;
    const h = this.hist;
    for (let k = 0; k < this.histLen; k++) {
      const b = this.histAt(k);
      if (clock < h[b + H_FIRST]!) { lastPosition = h[b + H_START]!; continue; }
      const start = h[b + H_START]!, count = h[b + H_COUNT]!;
      if (clock >= h[b + H_LAST]!) return start + count;
      const interval = h[b + H_INTERVAL]!, add = h[b + H_ADD]!;
      const ticks = ((clock - h[b + H_FIRST]!) + interval) | 0;
      let offset: number;
      if (!add) {
        offset = (ticks / interval) | 0;
      } else {
        const a = .5 * add, bb = interval - .5 * add, c = -ticks;
        offset = Math.trunc((Math.sqrt(bb * bb - 4 * a * c) - bb) / (2. * a));
      }
      return count < 0 ? start - offset : start + offset;
    }
    return lastPosition;
  }

  /** queue_step history overlapping [startClock, endClock), newest first. */
  extractOld(max: number, startClock: number, endClock: number): HistorySteps[] {
    const res: HistorySteps[] = [];
    const h = this.hist;
    for (let k = 0; k < this.histLen; k++) {
      const b = this.histAt(k);
      if (startClock >= h[b + H_LAST]! || res.length >= max) break;
      if (endClock <= h[b + H_FIRST]!) continue;
      res.push({
        firstClock: h[b + H_FIRST]!, lastClock: h[b + H_LAST]!, startPosition: h[b + H_START]!,
        stepCount: h[b + H_COUNT]!, interval: h[b + H_INTERVAL]!, add: h[b + H_ADD]!,
      });
    }
    return res;
  }
}
