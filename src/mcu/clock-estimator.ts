// Estimates an MCU's clock from get_clock samples with an exponentially
// decaying linear regression (klippy's clocksync facts: decay 1/30, outliers
// that arrive late are dropped, frequency = covariance/variance, a
// conservative estimate 3 sigma early for releasing timed commands).
// Unlike klippy, each sample is placed at the midpoint of its own round trip
// rather than at send time plus the best half round trip ever seen: on links
// whose latency varies (USB, ptys, a loaded host) the typical one-way delay
// is well above the best one, and that difference became a fixed bias.

/** Weight of each new sample in the running averages. */
const DECAY = 1 / 30;
/** How fast an old minimum round trip is forgotten (seconds per second). */
const RTT_AGE = 0.00001 / 3600;
/** Extra host time before a command can reach the MCU. */
const TRANSMIT_EXTRA = 0.001;
/** A sample whose round trip exceeds the usual fast one by this factor (+ margin) is too vague to use... */
const SLOW_RTT_FACTOR = 1.25;
const SLOW_RTT_MARGIN = 0.00003;
/** ...unless this many in a row were already skipped (the link got slower for good). */
const MAX_SLOW_SKIPS = 3;
/** How fast the "usual fast round trip" follows round trips that are longer. */
const RTT_FLOOR_RISE = 0.1;

/** a - b for 32-bit MCU clocks that wrap: the signed difference nearest zero. */
export function clockDiff32(a: number, b: number): number {
  const d = (a - b) >>> 0;
  return d >= 0x80000000 ? d - 0x100000000 : d;
}

/**
 * Exponentially decaying least-squares line through (x, y) samples: each new sample weighs
 * `decay`, older ones fade. Slope = covariance / xVariance.
 */
export class DecayingFit {
  xAvg = 0;
  xVariance = 0;
  yAvg = 0;
  covariance = 0;
  constructor(private readonly decay: number) {}

  /** Start over at one point. */
  reset(x: number, y: number): void {
    this.xAvg = x;
    this.yAvg = y;
    this.xVariance = this.covariance = 0;
  }

  add(x: number, y: number): void {
    const d = this.decay;
    const dx = x - this.xAvg;
    this.xAvg += d * dx;
    this.xVariance = (1 - d) * (this.xVariance + dx * dx * d);
    const dy = y - this.yAvg;
    this.yAvg += d * dy;
    this.covariance = (1 - d) * (this.covariance + dx * dy * d);
  }
}

/** A host time -> MCU clock line: clock at sampleTime, ticking at freq. */
export interface ClockEstimate {
  sampleTime: number;
  clock: number;
  freq: number;
}

/** One reading of the MCU clock: its 64-bit value and the round trip of the query that read it. */
export interface ClockReading {
  clock: number;
  /** 0 when unknown (a reply to a retransmitted query) */
  sentTime: number;
  receiveTime: number;
}

/** An MCU clock differs from its nominal frequency by less than this (internal RC oscillators ~1 %). */
const NOMINAL_FREQ_TOLERANCE = 0.05;

export class ClockEstimator {
  /** 64-bit clock of the latest sample (for 32-bit extension). */
  lastClock = 0;
  /** The latest reading with a known round trip. */
  private lastTimed: ClockReading | null = null;
  /** MCU clock against host time. */
  private readonly fit = new DecayingFit(DECAY);
  private predictionVariance = 0;
  private lastPredictionTime = 0;
  private minHalfRtt = Infinity;
  private minRttTime = 0;
  /** Round trip of recent fast samples: drops at once, rises slowly. */
  private rttFloor = Infinity;
  private slowSkips = 0;
  /** Recent mean square difference between samples and their prediction (ticks^2). */
  private residualSq = 0;
  private residualCount = 0;
  estimate: ClockEstimate;
  /** Samples rejected as outliers and resets of the prediction variance. */
  readonly counters = { samples: 0, outliers: 0, slow: 0, resets: 0 };

  constructor(readonly mcuFreq: number) {
    this.estimate = { sampleTime: 0, clock: 0, freq: mcuFreq };
  }

  /** First sample (get_uptime): the clock read at host time readTime. */
  start(readTime: number, clock64: number): void {
    this.lastClock = clock64;
    this.lastTimed = null;
    this.fit.reset(readTime, clock64);
    this.estimate = { sampleTime: readTime, clock: clock64, freq: this.mcuFreq };
    this.predictionVariance = (0.001 * this.mcuFreq) ** 2;
  }

  /** Allow the next sample to be accepted even if it looks late (during startup). */
  forgetPrediction(): void {
    this.lastPredictionTime = -9999;
  }

  /**
   * Start from a burst of readings (get_uptime, then quick get_clock queries), using only the ones
   * with a fast round trip: a reply that waited on a busy host places its reading time badly, and
   * over a burst's short baseline that one error would set a wildly wrong frequency. Returns the
   * serial queue's first estimate.
   */
  seed(readings: readonly ClockReading[]): ClockEstimate {
    const timed = readings.filter((r) => r.sentTime > 0);
    if (timed.length === 0) {
      const r = readings[0]!;
      this.start(r.receiveTime, r.clock);
      return this.serialEstimate();
    }
    const fastest = Math.min(...timed.map(roundTrip));
    const [first, ...rest] = timed.filter((r) => roundTrip(r) <= fastest * SLOW_RTT_FACTOR + SLOW_RTT_MARGIN);
    this.start((first!.sentTime + first!.receiveTime) / 2, first!.clock);
    this.lastTimed = first!;
    for (const r of rest) {
      this.forgetPrediction();
      this.addSample(r.clock >>> 0, r.sentTime, r.receiveTime);
    }
    return this.serialEstimate();
  }

  /**
   * How many ticks a reply's clock lies outside what the last timed reading allows, at the nominal
   * frequency within NOMINAL_FREQ_TOLERANCE over the time that can have passed between the two
   * readings (0 inside). Independent of the fitted estimate, so a bad fit cannot look like an MCU
   * restart; a restarted MCU's clock starts over and lands far outside.
   */
  distanceFromLastReading(clock32: number, sentTime: number, receiveTime: number): number {
    const last = this.lastTimed;
    if (!last || !sentTime) return 0;
    const least = (sentTime - last.receiveTime) * this.mcuFreq * (1 - NOMINAL_FREQ_TOLERANCE);
    const most = (receiveTime - last.sentTime) * this.mcuFreq * (1 + NOMINAL_FREQ_TOLERANCE);
    // Measured from the middle of the window: a 32-bit clock wraps every few seconds on a fast MCU
    const middle = Math.floor(last.clock + (least + most) / 2);
    return Math.max(0, Math.abs(clockDiff32(clock32, middle)) - (most - least) / 2);
  }

  /** Extend a 32-bit clock near the last sample to 64 bits (either direction). */
  clock32ToClock64(clock32: number): number {
    return this.lastClock + clockDiff32(clock32, this.lastClock);
  }

  /**
   * Add a `clock` reply: its 32-bit clock, the host time its query finished
   * sending, and when the reply arrived. Returns the serial queue's estimate
   * (conservative: 3 sigma early) when the sample was used, else null.
   */
  addSample(clock32: number, sentTime: number, receiveTime: number): ClockEstimate | null {
    const clock = this.extendClock(clock32, sentTime, receiveTime);
    this.lastClock = clock;
    if (!sentTime) return null; // reply to a retransmitted query: timing unknown
    this.lastTimed = { clock, sentTime, receiveTime };
    this.counters.samples++;
    this.updateBestRtt(sentTime, receiveTime);
    if (this.isSlow(receiveTime - sentTime)) {
      this.counters.slow++;
      return null;
    }
    if (!this.updateRegression(sentTime, (receiveTime - sentTime) / 2, clock)) {
      this.counters.outliers++;
      return null;
    }
    const fit = this.fit;
    this.estimate = { sampleTime: fit.xAvg, clock: fit.yAvg, freq: fit.covariance / fit.xVariance };
    return this.serialEstimate();
  }

  /** The estimate the serial queue releases timed commands by: 3 sigma early, plus transmit time. */
  private serialEstimate(): ClockEstimate {
    const e = this.estimate;
    return {
      sampleTime: e.sampleTime + TRANSMIT_EXTRA,
      clock: Math.trunc(e.clock - 3 * Math.sqrt(this.predictionVariance)),
      freq: e.freq,
    };
  }

  /**
   * A reply's 32-bit clock as 64 bits: the value nearest what the time since the last timed reading
   * predicts at the nominal frequency, so a host that stalled for longer than a 32-bit wrap (10.7 s on
   * a 400 MHz MCU) keeps every wrap. Without timing: the next value forward of the last.
   */
  private extendClock(clock32: number, sentTime: number, receiveTime: number): number {
    const last = this.lastTimed;
    if (!last || !sentTime) return this.lastClock + ((clock32 - this.lastClock) >>> 0);
    const elapsed = (sentTime + receiveTime) / 2 - (last.sentTime + last.receiveTime) / 2;
    const expected = Math.round(last.clock + elapsed * this.mcuFreq);
    return expected + clockDiff32(clock32, expected);
  }

  /** The clock was read somewhere in [sentTime, sentTime + 2*halfRtt]; assume the middle. */
  private updateRegression(sentTime: number, halfRtt: number, clock: number): boolean {
    const readTime = sentTime + halfRtt;
    const oldFreq = this.estimate.freq;
    const expClock = (readTime - this.fit.xAvg) * oldFreq + this.fit.yAvg;
    const diff2 = (clock - expClock) ** 2;
    if (diff2 > 25 * this.predictionVariance && diff2 > (0.0005 * this.mcuFreq) ** 2) {
      if (clock > expClock && sentTime < this.lastPredictionTime + 10) return false;
      // Too far off for too long: the old prediction was wrong, start over.
      this.counters.resets++;
      this.predictionVariance = (0.001 * this.mcuFreq) ** 2;
    } else {
      this.lastPredictionTime = sentTime;
      this.predictionVariance = (1 - DECAY) * (this.predictionVariance + diff2 * DECAY);
    }
    // Quality report only: how far recent samples fell from the prediction.
    this.residualCount++;
    this.residualSq += (diff2 - this.residualSq) / Math.min(this.residualCount, 8);
    this.fit.add(readTime, clock);
    return true;
  }

  /**
   * The clock was read somewhere inside the round trip, so a slow round trip
   * (a busy host, a queued write) pins it down poorly: skip it, but follow the
   * link if it stays slow.
   */
  private isSlow(rtt: number): boolean {
    const floor = this.rttFloor;
    this.rttFloor = rtt < floor ? rtt : floor + (rtt - floor) * RTT_FLOOR_RISE;
    if (floor === Infinity || rtt <= floor * SLOW_RTT_FACTOR + SLOW_RTT_MARGIN || this.slowSkips >= MAX_SLOW_SKIPS) {
      this.slowSkips = 0;
      return false;
    }
    this.slowSkips++;
    return true;
  }

  private updateBestRtt(sentTime: number, receiveTime: number): void {
    const halfRtt = 0.5 * (receiveTime - sentTime);
    const aged = (sentTime - this.minRttTime) * RTT_AGE;
    if (halfRtt < this.minHalfRtt + aged) {
      this.minHalfRtt = halfRtt;
      this.minRttTime = sentTime;
    }
  }

  /** Predicted MCU clock at a host time. */
  getClock(hostTime: number): number {
    const e = this.estimate;
    return Math.trunc(e.clock + (hostTime - e.sampleTime) * e.freq);
  }

  /** Host time at which the MCU clock reaches clock. */
  clockToHostTime(clock: number): number {
    const e = this.estimate;
    return (clock - e.clock) / e.freq + e.sampleTime;
  }

  /** Root mean square of recent samples' distance from the prediction, in seconds. */
  get residualRms(): number {
    return Math.sqrt(this.residualSq) / this.mcuFreq;
  }

  /** Round trip of recent fast clock queries, in seconds. */
  get typicalRtt(): number {
    return this.rttFloor;
  }

  debugLine(): string {
    const e = this.estimate;
    return (
      `clocksync state: mcu_freq=${this.mcuFreq} last_clock=${this.lastClock}` +
      ` clock_est=(${e.sampleTime.toFixed(3)} ${Math.trunc(e.clock)} ${e.freq.toFixed(3)})` +
      ` min_half_rtt=${this.minHalfRtt.toFixed(6)} min_rtt_time=${this.minRttTime.toFixed(3)}` +
      ` time_avg=${this.fit.xAvg.toFixed(3)}(${this.fit.xVariance.toFixed(3)})` +
      ` clock_avg=${this.fit.yAvg.toFixed(3)}(${this.fit.covariance.toFixed(3)})` +
      ` pred_variance=${this.predictionVariance.toFixed(3)}`
    );
  }
}

function roundTrip(r: ClockReading): number {
  return r.receiveTime - r.sentTime;
}
