// Batch (file output) link: no MCU on the other end. Commands are packed
// into framed blocks with sequence numbers and CRC, exactly as a live link
// would transmit them, and appended to a file. Output is deterministic: the
// queued commands are drained at the end of the current synchronous burst
// (a microtask, like the serial thread waking up after a send), on flush(),
// or when a burst grows past MAX_QUEUED_BYTES.
import { closeSync, openSync, writeSync } from "node:fs";
import { encodeBlock, MESSAGE_SEQ_MASK } from "../protocol/index.ts";
import { CommandQueue, CommandScheduler, joinPayload, type QueuedCommand } from "./command-queue.ts";
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
    this.scheduler.push(queue, cmd);
    if (this.scheduler.upcomingBytes + this.scheduler.readyBytes > MAX_QUEUED_BYTES) this.drain();
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
    // No MCU clock to wait for: every command is released at once.
    this.scheduler.release(Infinity);
    while (this.scheduler.readyBytes > 0) {
      const cmds = this.scheduler.takeBlock();
      const block = encodeBlock(this.sendSeq & MESSAGE_SEQ_MASK, joinPayload(cmds));
      this.sendSeq++;
      this.append(block);
      this.stats.blocks++;
      for (const c of cmds) c.onAck?.(WRITTEN);
    }
  }

  private append(block: Uint8Array): void {
    if (this.bufLen + block.length > this.buf.length) this.writeOut();
    this.buf.set(block, this.bufLen);
    this.bufLen += block.length;
    this.stats.bytesWrite += block.length;
  }

  private writeOut(): void {
    if (this.fd === null || this.bufLen === 0) return;
    let off = 0;
    while (off < this.bufLen) off += writeSync(this.fd, this.buf, off, this.bufLen - off);
    this.bufLen = 0;
  }
}
