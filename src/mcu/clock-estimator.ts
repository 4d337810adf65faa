// Estimates an MCU's clock from (host send time, MCU clock) samples with an
// exponentially decaying linear regression, as klippy's clocksync does:
// outliers (a reply delayed on the way out) are dropped, the frequency is
// covariance/variance, and the host->clock mapping is shifted by the best
// half round trip seen so the estimate tracks when the MCU read its clock.

/** Weight of each new sample in the running averages. */
const DECAY = 1 / 30;
/** How fast an old minimum round trip is forgotten (seconds per second). */
const RTT_AGE = 0.00001 / 3600;
/** Extra host time before a command can reach the MCU. */
const TRANSMIT_EXTRA = 0.001;

/** A host time -> MCU clock line: clock at sampleTime, ticking at freq. */
export interface ClockEstimate {
  sampleTime: number;
  clock: number;
  freq: number;
}

export class ClockEstimator {
  /** 64-bit clock of the latest sample (for 32-bit extension). */
  lastClock = 0;
  private timeAvg = 0;
  private timeVariance = 0;
  private clockAvg = 0;
  private clockCovariance = 0;
  private predictionVariance = 0;
  private lastPredictionTime = 0;
  private minHalfRtt = Infinity;
  private minRttTime = 0;
  estimate: ClockEstimate;
  /** Samples rejected as outliers and resets of the prediction variance. */
  readonly counters = { samples: 0, outliers: 0, resets: 0 };

  constructor(readonly mcuFreq: number) {
    this.estimate = { sampleTime: 0, clock: 0, freq: mcuFreq };
  }

  /** First sample (get_uptime): the clock at host time sentTime. */
  start(sentTime: number, clock64: number): void {
    this.lastClock = clock64;
    this.clockAvg = clock64;
    this.timeAvg = sentTime;
    this.estimate = { sampleTime: sentTime, clock: clock64, freq: this.mcuFreq };
    this.predictionVariance = (0.001 * this.mcuFreq) ** 2;
  }

  /** Allow the next sample to be accepted even if it looks late (during startup). */
  forgetPrediction(): void {
    this.lastPredictionTime = -9999;
  }

  /** Extend a 32-bit clock near the last sample to 64 bits (either direction). */
  clock32ToClock64(clock32: number): number {
    let diff = (clock32 - this.lastClock) >>> 0;
    if (diff >= 0x80000000) diff -= 0x100000000;
    return this.lastClock + diff;
  }

  /**
   * Add a `clock` reply: its 32-bit clock, the host time its query finished
   * sending, and when the reply arrived. Returns the serial queue's estimate
   * (conservative: 3 sigma early) when the sample was used, else null.
   */
  addSample(clock32: number, sentTime: number, receiveTime: number): ClockEstimate | null {
    const clock = this.lastClock + ((clock32 - this.lastClock) >>> 0);
    this.lastClock = clock;
    if (!sentTime) return null; // reply to a retransmitted query: timing unknown
    this.counters.samples++;
    if (!this.updateRegression(sentTime, clock)) {
      this.counters.outliers++;
      return null;
    }
    const freq = this.clockCovariance / this.timeVariance;
    const predStddev = Math.sqrt(this.predictionVariance);
    this.updateBestRtt(sentTime, receiveTime);
    this.estimate = { sampleTime: this.timeAvg + this.minHalfRtt, clock: this.clockAvg, freq };
    return {
      sampleTime: this.timeAvg + TRANSMIT_EXTRA,
      clock: Math.trunc(this.clockAvg - 3 * predStddev),
      freq,
    };
  }

  private updateRegression(sentTime: number, clock: number): boolean {
    const oldFreq = this.estimate.freq;
    const expClock = (sentTime - this.timeAvg) * oldFreq + this.clockAvg;
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
    const dt = sentTime - this.timeAvg;
    this.timeAvg += DECAY * dt;
    this.timeVariance = (1 - DECAY) * (this.timeVariance + dt * dt * DECAY);
    const dc = clock - this.clockAvg;
    this.clockAvg += DECAY * dc;
    this.clockCovariance = (1 - DECAY) * (this.clockCovariance + dt * dc * DECAY);
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

  /** Standard deviation of recent predictions, in seconds. */
  get predictionStddev(): number {
    return Math.sqrt(this.predictionVariance) / this.mcuFreq;
  }

  get bestHalfRtt(): number {
    return this.minHalfRtt;
  }

  debugLine(): string {
    const e = this.estimate;
    return (
      `clocksync state: mcu_freq=${this.mcuFreq} last_clock=${this.lastClock}` +
      ` clock_est=(${e.sampleTime.toFixed(3)} ${Math.trunc(e.clock)} ${e.freq.toFixed(3)})` +
      ` min_half_rtt=${this.minHalfRtt.toFixed(6)} min_rtt_time=${this.minRttTime.toFixed(3)}` +
      ` time_avg=${this.timeAvg.toFixed(3)}(${this.timeVariance.toFixed(3)})` +
      ` clock_avg=${this.clockAvg.toFixed(3)}(${this.clockCovariance.toFixed(3)})` +
      ` pred_variance=${this.predictionVariance.toFixed(3)}`
    );
  }
}
