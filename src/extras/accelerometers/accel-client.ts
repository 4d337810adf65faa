// One measurement session of an accelerometer: the samples a chip delivers between the start of
// the session and finishMeasurements(), as used by ACCELEROMETER_MEASURE/QUERY and resonance testing.
import { writeFileSync } from "node:fs";

export type AccelSample = [time: number, x: number, y: number, z: number];

/** The toolhead calls a client needs (its time span follows the queued moves). */
export interface AccelToolhead {
  getLastMoveTime(): number;
  waitMoves(): unknown;
}

/** Upper bound on kept samples so a forgotten session cannot fill memory. */
const MAX_SAMPLES = 10_000_000;

export class AccelClient {
  private readonly samples: AccelSample[] = [];
  private finished = false;
  private readonly startTime: number;
  private endTime: number;

  constructor(private readonly toolhead: AccelToolhead) {
    this.startTime = this.endTime = toolhead.getLastMoveTime();
  }

  /** Batch callback: keep samples until finished; false tells the sender to drop this client. */
  handleBatch(batch: AccelSample[]): boolean {
    if (this.finished || this.samples.length > MAX_SAMPLES) return false;
    this.samples.push(...batch);
    return true;
  }

  /** Stop at the toolhead's current end of moves (after those moves have run). */
  async finishMeasurements(): Promise<void> {
    this.endTime = this.toolhead.getLastMoveTime();
    await this.toolhead.waitMoves();
    this.finished = true;
  }

  hasValidSamples(): boolean {
    return this.samples.some(([t]) => t >= this.startTime && t <= this.endTime);
  }

  /** Samples within the measured time span. */
  getSamples(): AccelSample[] {
    return this.samples.filter(([t]) => t >= this.startTime && t <= this.endTime);
  }

  writeToFile(path: string): void {
    writeFileSync(path, `#time,accel_x,accel_y,accel_z\n${this.getSamples().map((s) => s.map((v) => v.toFixed(6)).join(",")).join("\n")}\n`);
  }
}
