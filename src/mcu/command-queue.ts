// Per-queue ordering of outgoing MCU commands and the merge that picks which
// command goes into the next block (lowest required clock first), shared by
// the live serial queue and the batch file writer.
import { Fifo } from "../util/fifo.ts";

/** reqClock for commands that may go out whenever there is room. */
export const BACKGROUND_PRIORITY_CLOCK = Number.MAX_SAFE_INTEGER;

/** Largest clock distance the MCU compares safely (31-bit signed timer math). */
const MAX_MIN_CLOCK_LAG = 3 * 2 ** 29;

/** Payload bytes of one block: MESSAGE_MAX(64) - header(2) - trailer(3). */
export const BLOCK_PAYLOAD_MAX = 59;

export interface QueuedCommand {
  data: Uint8Array;
  /** Do not transmit before the MCU clock is at least this (64-bit clock). */
  minClock: number;
  /** The MCU needs it by this clock; lower goes first. */
  reqClock: number;
  /**
   * Called once the block carrying it is acknowledged (live) or written
   * (batch), or with null if the link closed first.
   */
  onAck?: (ack: AckInfo | null) => void;
}

/** Host times (seconds) of the acknowledged block: finished sending, and ack received. */
export interface AckInfo {
  sentTime: number;
  receiveTime: number;
}

/** FIFO of commands that must reach the MCU in the order they were sent. */
export class CommandQueue {
  private static nextId = 0;
  readonly id = CommandQueue.nextId++;
  /** Held back until the MCU clock passes their minClock. */
  readonly upcoming = new Fifo<QueuedCommand>();
  /** Released; waiting for a block. */
  readonly ready = new Fifo<QueuedCommand>();
}

/**
 * Holds every command queue of one MCU link. Commands enter "upcoming",
 * move to "ready" once the estimated MCU clock reaches their minClock, and
 * leave in blocks built from the ready command with the lowest reqClock.
 */
export class CommandScheduler {
  private readonly queues: CommandQueue[] = [];
  /** Membership of `queues` (checked on every push; the array keeps registration order). */
  private readonly registered = new Set<CommandQueue>();
  readyBytes = 0;
  upcomingBytes = 0;
  /** Smallest minClock that is still holding a command back. */
  private minStalledClock = Infinity;

  register(queue: CommandQueue): void {
    if (this.registered.has(queue)) return;
    this.registered.add(queue);
    this.queues.push(queue);
  }

  /** Queue a command; `released`: no MCU clock to wait for (batch), it is ready at once. */
  push(queue: CommandQueue, cmd: QueuedCommand, released = false): void {
    if (cmd.data.length > BLOCK_PAYLOAD_MAX)
      throw new Error(`MCU command of ${cmd.data.length} bytes does not fit in one block (max ${BLOCK_PAYLOAD_MAX})`);
    this.register(queue);
    if (released) {
      queue.ready.push(cmd);
      this.readyBytes += cmd.data.length;
      return;
    }
    if (cmd.reqClock !== BACKGROUND_PRIORITY_CLOCK && cmd.minClock + MAX_MIN_CLOCK_LAG < cmd.reqClock)
      cmd.minClock = cmd.reqClock - MAX_MIN_CLOCK_LAG;
    queue.upcoming.push(cmd);
    this.upcomingBytes += cmd.data.length;
    if (cmd.minClock < this.minStalledClock) this.minStalledClock = cmd.minClock;
  }

  /** Release commands whose minClock <= ackClock; returns the next clock that would release more. */
  release(ackClock: number): number {
    if (ackClock < this.minStalledClock) return this.minStalledClock;
    let stalled = Infinity;
    for (const q of this.queues) {
      for (let c = q.upcoming.peek(); c; c = q.upcoming.peek()) {
        if (ackClock < c.minClock) {
          if (c.minClock < stalled) stalled = c.minClock;
          break;
        }
        q.upcoming.shift();
        q.ready.push(c);
        this.upcomingBytes -= c.data.length;
        this.readyBytes += c.data.length;
      }
    }
    this.minStalledClock = stalled;
    return stalled;
  }

  /** Lowest reqClock among the heads of the ready queues (Infinity if none). */
  minReadyClock(backgroundClock: number): number {
    let min = Infinity;
    for (const q of this.queues) {
      const c = q.ready.peek();
      if (!c) continue;
      const req = c.reqClock === BACKGROUND_PRIORITY_CLOCK ? backgroundClock : c.reqClock;
      if (req < min) min = req;
    }
    return min;
  }

  /**
   * Fill one block payload from the ready queues, lowest reqClock first.
   * Returns the commands taken (possibly none), in `taken` if given (emptied first).
   */
  takeBlock(taken: QueuedCommand[] = []): QueuedCommand[] {
    taken.length = 0;
    let len = 0;
    while (this.readyBytes > 0) {
      let best: CommandQueue | undefined;
      let bestClock = Infinity;
      for (const q of this.queues) {
        const c = q.ready.peek();
        if (c && (best === undefined || c.reqClock < bestClock)) {
          best = q;
          bestClock = c.reqClock;
        }
      }
      const c = best!.ready.peek()!;
      if (len + c.data.length > BLOCK_PAYLOAD_MAX) break;
      best!.ready.shift();
      len += c.data.length;
      this.readyBytes -= c.data.length;
      taken.push(c);
    }
    return taken;
  }

}

/** Concatenate the data of commands into one block payload. */
export function joinPayload(cmds: QueuedCommand[]): Uint8Array {
  let n = 0;
  for (const c of cmds) n += c.data.length;
  const out = new Uint8Array(n);
  let pos = 0;
  for (const c of cmds) {
    out.set(c.data, pos);
    pos += c.data.length;
  }
  return out;
}
