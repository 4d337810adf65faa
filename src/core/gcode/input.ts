// A G-code input stream (terminal, pty, file): splits incoming text into lines, runs them in
// order under the dispatcher's mutex with "ok" acknowledgements, and acts on an emergency
// stop (M112) as soon as it arrives, even while earlier commands are still running.
import type { GCodeDispatcher } from "./dispatch.ts";
import { isEmergencyStop } from "./tokenize.ts";

/** Beyond this many queued lines an M112 is no longer looked for ahead of time (as Klipper). */
const EARLY_M112_LIMIT = 20;

export class GCodeInput {
  private partial = "";
  private pending: string[] = [];
  private processing: Promise<void> | null = null;
  bytesRead = 0;

  constructor(
    private readonly gcode: GCodeDispatcher,
    private readonly emergencyStop: () => void = () => gcode.emergencyStop(),
  ) {}

  /** Add received text; resolves when every complete line received so far has run. */
  feed(data: string): Promise<void> {
    this.bytesRead += data.length;
    const lines = data.split("\n");
    lines[0] = this.partial + lines[0];
    this.partial = lines.pop()!;
    this.pending.push(...lines);
    if (this.pending.length < EARLY_M112_LIMIT) for (const line of lines) if (isEmergencyStop(line)) this.emergencyStop();
    if (!this.processing && this.pending.length) this.processing = this.drain();
    return this.processing ?? Promise.resolve();
  }

  /** Text after the last newline, not yet run (Klipper never runs an unterminated last line). */
  get unterminated(): string {
    return this.partial;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length) {
        const batch = this.pending;
        this.pending = [];
        await this.gcode.mutex.run(() => this.gcode.processCommands(batch, true));
      }
    } finally {
      this.processing = null;
    }
  }
}
