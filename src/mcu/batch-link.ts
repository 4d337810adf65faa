// Batch (file output) link: no MCU on the other end. Commands are packed
// into framed blocks with sequence numbers and CRC, exactly as a live link
// would transmit them, and appended to a file. Output is deterministic: the
// queued commands are drained at the end of the current synchronous burst
// (a microtask, like the serial thread waking up after a send), on flush(),
// or when a burst grows past MAX_QUEUED_BYTES.
import { closeSync, openSync, writeSync } from "node:fs";
import { frameBlockAt, MESSAGE_HEADER_SIZE, MESSAGE_MAX } from "../protocol/index.ts";
import { CommandQueue, CommandScheduler, type QueuedCommand } from "./command-queue.ts";
import type { McuLink } from "./link.ts";

/** Batch "acks" carry no timing: there is no MCU. */
const WRITTEN = { sentTime: 0, receiveTime: 0 };

/** Write buffer size before a write() system call. */
const WRITE_CHUNK = 64 * 1024;
/** A burst that queues more than this is drained at once, so memory stays bounded. */
const MAX_QUEUED_BYTES = 256 * 1024;

export class BatchLink implements McuLink {
  private readonly scheduler = new CommandScheduler();
  private fd: number | null;
  private sendSeq = 1;
  private drainScheduled = false;
  private buf = new Uint8Array(WRITE_CHUNK);
  private bufLen = 0;
  /** Scratch list of the commands of the block being written. */
  private readonly taken: QueuedCommand[] = [];
  readonly stats = { bytesWrite: 0, blocks: 0 };

  constructor(readonly outputPath: string) {
    try {
      this.fd = openSync(outputPath, "w");
    } catch (e) {
      throw new Error(`cannot open batch output file '${outputPath}': ${(e as Error).message}`);
    }
  }

  send(queue: CommandQueue, cmd: QueuedCommand): void {
    if (this.fd === null) throw new Error(`batch output '${this.outputPath}' is already closed`);
    // No MCU clock to wait for: every command is ready at once
    this.scheduler.push(queue, cmd, true);
    if (this.scheduler.readyBytes > MAX_QUEUED_BYTES) this.drain();
    else if (!this.drainScheduled) {
      this.drainScheduled = true;
      queueMicrotask(() => this.drain());
    }
  }

  /** Pack everything queued so far into blocks and write them out. */
  flush(): void {
    this.drain();
    this.writeOut();
  }

  async close(): Promise<void> {
    if (this.fd === null) return;
    this.flush();
    closeSync(this.fd);
    this.fd = null;
  }

  private drain(): void {
    this.drainScheduled = false;
    if (this.fd === null) return;
    const cmds = this.taken;
    while (this.scheduler.readyBytes > 0) {
      this.scheduler.takeBlock(cmds);
      this.appendBlock(cmds);
      this.stats.blocks++;
      for (const c of cmds) c.onAck?.(WRITTEN);
    }
    cmds.length = 0;
  }

  /** Frame the commands as the next block straight into the write buffer. */
  private appendBlock(cmds: readonly QueuedCommand[]): void {
    if (this.bufLen + MESSAGE_MAX > this.buf.length) this.writeOut();
    const buf = this.buf, start = this.bufLen;
    let pos = start + MESSAGE_HEADER_SIZE;
    for (const c of cmds) {
      // byte loop: commands are a few bytes, shorter than the cost of a native set() call
      const d = c.data;
      for (let i = 0; i < d.length; i++) buf[pos++] = d[i]!;
    }
    const end = frameBlockAt(buf, start, this.sendSeq++, pos - start - MESSAGE_HEADER_SIZE);
    this.bufLen = end;
    this.stats.bytesWrite += end - start;
  }

  private writeOut(): void {
    if (this.fd === null || this.bufLen === 0) return;
    let off = 0;
    while (off < this.bufLen) off += writeSync(this.fd, this.buf, off, this.bufLen - off);
    this.bufLen = 0;
  }
}
