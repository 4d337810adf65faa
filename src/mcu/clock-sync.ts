// Keeps a live MCU's clock estimate current: an initial get_uptime, a burst
// of get_clock queries, then one query about every second on its own command
// queue. Feeds the serial queue the conservative estimate it uses to release
// timed commands, and answers the clock <-> host time <-> print time questions.
// A secondary MCU maps its clock onto the primary's print time.
import { clockDiff32, type ClockEstimate, ClockEstimator, type ClockReading } from "./clock-estimator.ts";
import { CommandQueue } from "./command-queue.ts";
import type { McuClock } from "./mcu-clock.ts";
import type { ResponseMessage } from "./response-dispatch.ts";
import { type DeferrableTimer, housekeepingSlack, setDeferrableTimeout } from "../util/deferrable-timers.ts";

/** What clock sync needs from the link to its MCU. */
export interface ClockSyncPort {
  /** Send a query and resolve with its response (retried; rejects when none comes). */
  query(line: string, response: string): Promise<ResponseMessage>;
  /** Fire-and-forget a command on the given queue. */
  send(line: string, queue: CommandQueue): void;
  onResponse(name: string, cb: (msg: ResponseMessage) => void): void;
  setClockEstimate(est: ClockEstimate): void;
  now(): number;
}

/** An odd period so clock queries do not beat against other periodic traffic. */
const QUERY_PERIOD = 0.9839;
/** Right after connecting, query faster so the frequency estimate settles in seconds, not a minute. */
const SETTLE_PERIOD = 0.1987;
const SETTLE_QUERIES = 30;
/**
 * The first estimate: 8 queries 10 ms apart. Klipper spaces them 50 ms (0.4 s of start-up); the
 * settle queries right after lengthen the baseline within a second, before anything is timed that far ahead.
 */
const STARTUP_QUERIES = 8;
const STARTUP_SPACING = 0.01;
/** More unanswered queries than this: the MCU is not responding. */
const MAX_PENDING_QUERIES = 4;
/** A reply this far (seconds) outside what the last one allows means the MCU clock restarted. */
const CLOCK_JUMP_LIMIT = 2.0;

export interface ClockJump {
  expected: number;
  got: number;
}

export class ClockSync implements McuClock {
  estimator: ClockEstimator;
  private port: ClockSyncPort | null = null;
  private timer: DeferrableTimer | null = null;
  private readonly queue = new CommandQueue();
  private queriesPending = 0;
  private periodicSent = 0;
  private lastAnswerTime = 0;
  /** Set by the owner: called when a reply shows the MCU clock jumped. */
  onClockJump: (jump: ClockJump) => void = () => {};

  constructor(protected mcuFreq: number) {
    this.estimator = new ClockEstimator(mcuFreq);
  }

  get freq(): number {
    return this.mcuFreq;
  }

  async start(port: ClockSyncPort, mcuFreq: number): Promise<void> {
    this.port = port;
    this.mcuFreq = mcuFreq;
    this.estimator = new ClockEstimator(mcuFreq);
    const up = await port.query("get_uptime", "uptime");
    const uptime = Number(up.params.high) * 2 ** 32 + Number(up.params.clock);
    const readings: ClockReading[] = [{ clock: uptime, sentTime: up.sentTime, receiveTime: up.receiveTime }];
    for (let i = 0; i < STARTUP_QUERIES; i++) {
      await sleep(STARTUP_SPACING);
      const r = await port.query("get_clock", "clock");
      readings.push({ clock: uptime + clockDiff32(Number(r.params.clock), uptime), sentTime: r.sentTime, receiveTime: r.receiveTime });
    }
    port.setClockEstimate(this.estimator.seed(readings));
    port.onResponse("clock", (msg) => this.handleClock(msg));
    this.periodicSent = 0;
    this.schedule(0);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
    this.port = null;
  }

  /** False once several clock queries in a row, over several seconds, went unanswered. */
  isActive(): boolean {
    if (this.queriesPending <= MAX_PENDING_QUERIES || !this.port) return true;
    return this.port.now() - this.lastAnswerTime <= MAX_PENDING_QUERIES * QUERY_PERIOD;
  }

  /** The next query; it may run a little late to share a wake-up (the reply's timing is measured, not assumed). */
  private schedule(delay: number): void {
    this.timer = setDeferrableTimeout(() => {
      if (!this.port) return;
      this.port.send("get_clock", this.queue);
      this.queriesPending++;
      this.periodicSent++;
      this.schedule(this.periodicSent < SETTLE_QUERIES ? SETTLE_PERIOD : QUERY_PERIOD);
    }, delay, housekeepingSlack(delay));
  }

  private handleClock(msg: ResponseMessage): void {
    this.queriesPending = 0;
    this.lastAnswerTime = msg.receiveTime;
    const clock32 = Number(msg.params.clock);
    if (this.estimator.distanceFromLastReading(clock32, msg.sentTime, msg.receiveTime) > CLOCK_JUMP_LIMIT * this.mcuFreq) {
      this.onClockJump({ expected: this.estimator.getClock(msg.sentTime) % 2 ** 32, got: clock32 });
      return;
    }
    const serialEst = this.estimator.addSample(clock32, msg.sentTime, msg.receiveTime);
    if (serialEst) this.port?.setClockEstimate(serialEst);
  }

  // ---- conversions ----
  printTimeToClock(printTime: number): number {
    return Math.trunc(printTime * this.mcuFreq);
  }
  clockToPrintTime(clock: number): number {
    return clock / this.mcuFreq;
  }
  /** Predicted MCU clock at a host time. */
  getClock(hostTime: number): number {
    return this.estimator.getClock(hostTime);
  }
  /** Host time at which the MCU reaches a clock. */
  clockToHostTime(clock: number): number {
    return this.estimator.clockToHostTime(clock);
  }
  estimatedPrintTime(hostTime: number): number {
    return this.clockToPrintTime(this.getClock(hostTime));
  }
  clock32ToClock64(clock32: number): number {
    return this.estimator.clock32ToClock64(clock32);
  }
  /** Primary: print time is the MCU clock, nothing to calibrate. */
  calibrate(_printTime: number, _hostTime: number): { offset: number; freq: number } {
    return { offset: 0, freq: this.mcuFreq };
  }
}

/**
 * A secondary MCU: its print time follows the primary's. The mapping is
 * re-fitted at each calibrate() so that the two agree a few seconds ahead,
 * spreading any drift correction over the coming moves.
 */
export class SecondaryClockSync extends ClockSync {
  private adjOffset = 0;
  private adjFreq: number;
  private lastSyncTime = 0;

  constructor(
    mcuFreq: number,
    private readonly primary: ClockSync,
  ) {
    super(mcuFreq);
    this.adjFreq = mcuFreq;
  }

  override async start(port: ClockSyncPort, mcuFreq: number): Promise<void> {
    await super.start(port, mcuFreq);
    this.adjOffset = 0;
    this.adjFreq = mcuFreq;
    const now = port.now();
    this.adjOffset = this.primary.estimatedPrintTime(now) - super.estimatedPrintTime(now);
    this.calibrate(0, now);
  }

  override printTimeToClock(printTime: number): number {
    return Math.trunc((printTime - this.adjOffset) * this.adjFreq);
  }
  override clockToPrintTime(clock: number): number {
    return clock / this.adjFreq + this.adjOffset;
  }

  override calibrate(printTime: number, hostTime: number): { offset: number; freq: number } {
    const primaryNow = this.primary.estimatedPrintTime(hostTime);
    const sync1 = Math.max(printTime, primaryNow);
    const sync2 = Math.max(sync1 + 4, this.lastSyncTime, printTime + 2.5 * (printTime - primaryNow));
    const sync2Host = this.primary.clockToHostTime(sync2 * this.primary.freq);
    const sync1Clock = this.printTimeToClock(sync1);
    const sync2Clock = this.getClock(sync2Host);
    this.adjFreq = (sync2Clock - sync1Clock) / (sync2 - sync1);
    this.adjOffset = sync1 - sync1Clock / this.adjFreq;
    this.lastSyncTime = sync2;
    return { offset: this.adjOffset, freq: this.adjFreq };
  }
}

function sleep(s: number): Promise<void> {
  return new Promise((r) => setTimeout(r, s * 1000));
}
