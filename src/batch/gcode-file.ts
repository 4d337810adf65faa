// G-code file input of a batch run, read the way klippy reads its -i file: in
// blocks of 4096 bytes, each block's complete lines run before the event loop
// gets its next turn (timers, notably the background step flush, run between
// blocks). While lines are running, a yield reads the next block ahead (its
// lines run right after the current ones). A block that yielded ends inside the
// loop's timer pass that resumed it (klippy's greenlet switch), so the next block
// (or the end of file) is read before the timers get their next turn. At end of file the run exits like
// Klipper's: every handler of "gcode:debuginput_exit" must agree, then a
// RESTART-like exit (final dwell, motors off) follows. After a G-code error the run stops like
// klippy's: the rest of the lines read so far run until one has to wait, and nothing more is read.
import { closeSync, openSync, readSync } from "node:fs";
import type { BatchReactor } from "./reactor.ts";

/**
 * Lines between requested young-generation (eden) collections. A batch run allocates short-lived
 * objects fast and never idles, so Bun's GC timer never runs and JavaScriptCore lets eden grow to
 * its large-heap size (heap capacity 24 MB for 8.5 MB live at the end of the reference print). A
 * collection every 512 lines keeps it small: bench:motion peak RSS 70.5 -> 58.8 MiB for ~3 % more
 * CPU (every 1024 lines: ~60 MiB, ~2 %). A power of two: the check is a mask.
 */
const EDEN_GC_LINES = 512;

/** Bytes read from the input per loop turn (klippy's os.read size). */
export const INPUT_BLOCK_SIZE = 4096;

export interface BatchGcodeTarget {
  /** Run one input line (acknowledged); a promise only if it has to wait. */
  processLine(line: string): Promise<void> | undefined;
  /** End of input: the exit sequence (Klipper's request_restart('exit')). */
  requestExit(): Promise<void>;
  /** True once the run must stop (klippy's reactor ended by an error): lines that wait are dropped. */
  stopRequested(): boolean;
  /** Holds the G-code mutex while `fn` runs a batch of lines (others waiting for it go first after). */
  withMutex(fn: () => Promise<void>): Promise<void>;
  /** How many mutex users have had to wait so far. */
  mutexWaits(): number;
}

export class BatchGcodeFile {
  private readonly fd: number;
  private readonly buf = new Uint8Array(INPUT_BLOCK_SIZE);
  private readonly decoder = new TextDecoder("utf-8");
  private partial = "";
  private pending: string[] = [];
  private processing = false;
  private reading = true;
  private exiting: Promise<void> | null = null;
  private closed = false;
  bytesRead = 0;
  /** Number (1-based) and text of the line being run, for error messages. */
  lineNumber = 0;
  lineText = "";

  constructor(readonly path: string, private readonly target: BatchGcodeTarget, private readonly reactor: BatchReactor) {
    try {
      this.fd = openSync(path, "r");
    } catch (e) {
      throw new Error(`cannot open g-code input '${path}': ${(e as Error).message}`);
    }
  }

  /** Run the whole file; resolves after the exit sequence. */
  async run(isDone: () => boolean): Promise<void> {
    // A yield inside a command reads ahead without running anything
    this.reactor.onTurn = () => {
      if (this.reading) this.readBlock();
    };
    try {
      while (!this.exiting && !isDone() && !this.target.stopRequested()) {
        const turns = this.reactor.turns;
        if (this.reading) await this.processData();
        if (this.exiting) await this.exiting;
        if (this.reactor.turns === turns) this.reactor.runDueTimers();
      }
    } finally {
      this.reactor.onTurn = null;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  /** Read one block into pending lines; false at end of file. */
  private readBlock(): boolean {
    const n = readSync(this.fd, this.buf, 0, INPUT_BLOCK_SIZE, null);
    if (n === 0) {
      this.reading = false;
      return false;
    }
    this.bytesRead += n;
    const data = this.decoder.decode(this.buf.subarray(0, n), { stream: true });
    const lines = data.split("\n");
    lines[0] = this.partial + lines[0];
    this.partial = lines.pop()!;
    this.pending.push(...lines);
    // Stop reading ahead once plenty is queued
    if (this.processing && this.pending.length >= 20) this.reading = false;
    return true;
  }

  private async processData(): Promise<void> {
    if (!this.readBlock()) {
      if (!this.processing) this.exiting = this.target.requestExit();
      return;
    }
    this.processing = true;
    try {
      // Each batch of lines read so far runs holding the G-code mutex, as klippy's input does: whoever
      // waits for it (a TMC driver's phase sync) runs between batches
      let stopped = false, handedOver = false;
      while (this.pending.length && !stopped) {
        const batch = this.pending;
        this.pending = [];
        await this.target.withMutex(async () => {
          // Someone took the mutex after the last batch: klippy's input waited for it, and its loop ran
          // the timers (the background flush) before the input got it back
          if (handedOver) this.reactor.turn();
          const waits = this.target.mutexWaits();
          // One line at a time (same order and effect) so errors can name their line
          for (const line of batch) {
            if ((++this.lineNumber & (EDEN_GC_LINES - 1)) === 0) Bun.gc(false);
            this.lineText = line;
            const r = this.target.processLine(line);
            if (!r) continue;
            // klippy's reactor has ended: a command that waits never resumes
            if (this.target.stopRequested()) {
              stopped = true;
              return void r.catch(() => {});
            }
            await r;
          }
          handedOver = this.target.mutexWaits() !== waits;
        });
      }
      if (stopped) return;
    } finally {
      this.processing = false;
    }
    // Input is read on at the next turn (an end of file seen while reading
    // ahead is seen again there)
    this.reading = true;
  }
}
