// Sensors that stream samples at a fixed rate through the MCU (accelerometers): the MCU sends
// sensor_bulk_data blocks (sequence numbered) and answers status queries (sensor_bulk_status) with
// its clock and how many bytes it has buffered. The chip's sample counter is tracked against the
// MCU clock by an exponentially weighted linear regression to give each sample a print time.
// BatchBulkHelper delivers the decoded samples to clients every batch interval.
import { DecayingFit } from "../../mcu/clock-estimator.ts";
import type { DecodedMessage } from "../../protocol/index.ts";
import { lookupReactor } from "../../core/host-timers.ts";
import type { McuCommandQueue, McuPort } from "../../core/mcu-pins/mcu-port.ts";
import type { Printer } from "../../core/printer.ts";

const MAX_BULK_MSG_SIZE = 51;

/** Linear regression of MCU clock against chip clock (sample counter). */
export class ClockSyncRegression {
  private lastChipClock = 0;
  private lastExpMcuClock = 0;
  /** Chip clock against MCU clock. */
  private readonly fit: DecayingFit;

  constructor(private readonly mcu: McuPort, private readonly chipClockSmooth: number, decay = 1 / 20) {
    this.fit = new DecayingFit(decay);
  }

  reset(mcuClock: number, chipClock: number): void {
    this.fit.reset(mcuClock, chipClock);
    this.lastChipClock = this.lastExpMcuClock = 0;
  }

  update(mcuClock: number, chipClock: number): void {
    this.fit.add(mcuClock, chipClock);
  }

  setLastChipClock(chipClock: number): void {
    const [baseMcu, baseChip, inv] = this.clockTranslation();
    this.lastChipClock = chipClock;
    this.lastExpMcuClock = baseMcu + (chipClock - baseChip) * inv;
  }

  /** [base MCU clock, base chip clock, MCU ticks per chip tick]; converges smoothly from the last sample. */
  clockTranslation(): [number, number, number] {
    const fit = this.fit;
    const inv = fit.xVariance / fit.covariance;
    if (!this.lastChipClock) return [fit.xAvg, fit.yAvg, inv];
    const sChip = this.lastChipClock + this.chipClockSmooth;
    const sMcu = fit.xAvg + (sChip - fit.yAvg) * inv;
    return [this.lastExpMcuClock, this.lastChipClock, (sMcu - this.lastExpMcuClock) / this.chipClockSmooth];
  }

  /** [base print time, base chip clock, seconds per chip tick]. */
  timeTranslation(): [number, number, number] {
    const [baseMcu, baseChip, inv] = this.clockTranslation();
    const baseTime = this.mcu.clockToPrintTime(baseMcu);
    return [baseTime, baseChip, this.mcu.clockToPrintTime(baseMcu + inv) - baseTime];
  }
}

interface LiveMcu {
  query(line: string, response: string, opts?: { oid?: number | null; queue?: McuCommandQueue }): Promise<DecodedMessage>;
}

/** A sample: print time and the raw bytes of one record. */
export type RawSample = [printTime: number, record: Uint8Array];

export class FixedFreqReader {
  readonly clockSync: ClockSyncRegression;
  readonly samplesPerBlock: number;
  private lastSequence = 0;
  private maxQueryDuration = 0;
  lastOverflows = 0;
  private queue: DecodedMessage[] = [];
  private oid = -1;
  private statusQuery: { line: string; queue: McuCommandQueue } | null = null;

  constructor(private readonly mcu: McuPort, chipClockSmooth: number, readonly bytesPerSample: number) {
    this.clockSync = new ClockSyncRegression(mcu, chipClockSmooth);
    this.samplesPerBlock = Math.floor(MAX_BULK_MSG_SIZE / bytesPerSample);
  }

  /** The status query command (answered by sensor_bulk_status) and the bulk data stream of `oid`. */
  setupQueryCommand(line: string, oid: number, queue: McuCommandQueue): void {
    this.oid = oid;
    this.statusQuery = { line, queue };
    this.mcu.registerResponse("sensor_bulk_data", oid, (msg) => this.queue.push(msg));
  }

  private live(): LiveMcu {
    const m = this.mcu as unknown as Partial<LiveMcu>;
    if (this.mcu.isBatch() || typeof m.query !== "function") throw new Error(`sensor measurements need a live MCU (MCU '${this.mcu.name}' is in batch mode)`);
    return m as LiveMcu;
  }

  async noteStart(): Promise<void> {
    this.lastSequence = 0;
    this.lastOverflows = 0;
    this.queue = [];
    this.maxQueryDuration = 2 ** 31;
    await this.updateClock(true);
    this.maxQueryDuration = 2 ** 31;
  }

  noteEnd(): void {
    this.queue = [];
  }

  private async updateClock(reset = false): Promise<void> {
    const p = (await this.live().query(this.statusQuery!.line, "sensor_bulk_status", { oid: this.oid, queue: this.statusQuery!.queue })).params;
    const mcuClock = this.mcu.clock32ToClock64(p.clock as number);
    this.lastSequence += ((p.next_sequence as number) - this.lastSequence) & 0xffff;
    this.lastOverflows += ((p.possible_overflows as number) - this.lastOverflows) & 0xffff;
    const duration = p.query_ticks as number;
    if (duration > this.maxQueryDuration) {
      // A slow query would skew the clock tracking: skip it
      this.maxQueryDuration = Math.max(2 * this.maxQueryDuration, this.mcu.secondsToClock(0.000005));
      return;
    }
    this.maxQueryDuration = 2 * duration;
    const msgCount = this.lastSequence * this.samplesPerBlock + Math.floor((p.buffered as number) / this.bytesPerSample);
    // +0.5 for the average query delay, +0.5 for the chip's own processing time
    const chipClock = msgCount + 1;
    const avgMcuClock = mcuClock + Math.floor(duration / 2);
    if (reset) this.clockSync.reset(avgMcuClock, chipClock);
    else this.clockSync.update(avgMcuClock, chipClock);
  }

  /** Samples received since the last call, each with its print time. */
  async pullSamples(): Promise<RawSample[]> {
    await this.updateClock();
    const raw = this.queue.splice(0);
    if (!raw.length) return [];
    const [timeBase, chipBase, invFreq] = this.clockSync.timeTranslation();
    const out: RawSample[] = [];
    let seq = 0;
    let last = 0;
    for (const m of raw) {
      let diff = ((m.params.sequence as number) - this.lastSequence) & 0xffff;
      diff -= (diff & 0x8000) << 1;
      seq = this.lastSequence + diff;
      const base = seq * this.samplesPerBlock - chipBase;
      const data = m.params.data as Uint8Array;
      const n = Math.floor(data.length / this.bytesPerSample);
      for (let i = 0; i < n; i++) out.push([timeBase + (base + i) * invFreq, data.subarray(i * this.bytesPerSample, (i + 1) * this.bytesPerSample)]);
      last = n - 1;
    }
    this.clockSync.setLastChipClock(seq * this.samplesPerBlock + last);
    return out;
  }
}

/** Periodic batches of samples for clients (a client returning false is done). */
export class BatchBulkHelper<T> {
  private started = false;
  private clients: ((batch: T) => boolean)[] = [];
  private readonly timerName: string;

  constructor(
    private readonly printer: Printer,
    name: string,
    private readonly batch: () => Promise<T | null>,
    private readonly start: () => Promise<void>,
    private readonly stop: () => Promise<void>,
    private readonly interval = 0.5,
  ) {
    this.timerName = `bulk:${name}`;
  }

  async addClient(cb: (batch: T) => boolean): Promise<void> {
    this.clients.push(cb);
    if (this.started) return;
    this.started = true;
    try {
      await this.start();
    } catch (e) {
      this.started = false;
      this.clients = [];
      throw e;
    }
    this.schedule();
  }

  private schedule(): void {
    const reactor = lookupReactor(this.printer);
    if (!reactor) return;
    reactor.setTimer(this.timerName, reactor.monotonic() + this.interval, () => void this.tick());
  }

  private async tick(): Promise<void> {
    let msg: T | null;
    try {
      msg = await this.batch();
    } catch (e) {
      this.printer.gcode.respondInfo(`bulk sensor error: ${(e as Error).message}`);
      await this.halt();
      return;
    }
    if (msg !== null) {
      this.clients = this.clients.filter((cb) => cb(msg!));
      if (!this.clients.length) {
        await this.halt();
        return;
      }
    }
    this.schedule();
  }

  private async halt(): Promise<void> {
    this.clients = [];
    lookupReactor(this.printer)?.cancelTimer(this.timerName);
    if (!this.started) return;
    this.started = false;
    await this.stop();
  }
}
