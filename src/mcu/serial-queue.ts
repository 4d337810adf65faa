// Reliable, clock-aware block transport to one live MCU (the facts follow
// Klipper's serialqueue): commands are packed into blocks with 4-bit sequence
// numbers; the MCU acks every block it accepts and naks gaps. Unacked blocks
// are retransmitted after an RTT-based timeout (RFC 6298 style srtt/rttvar)
// or at once on a nak (a duplicate ack). Bytes in flight are bounded by the
// MCU's RECEIVE_WINDOW. Commands are released when the estimated MCU clock
// reaches their minClock and sent early enough for their reqClock.
import { BlockReader, encodeBlock, MESSAGE_MAX, MESSAGE_MIN, MESSAGE_SEQ_MASK, MESSAGE_SYNC } from "../protocol/index.ts";
import {
  BLOCK_PAYLOAD_MAX,
  type CommandQueue,
  CommandScheduler,
  joinPayload,
  type QueuedCommand,
} from "./command-queue.ts";
import type { McuLink } from "./link.ts";
import { timerDelayMs } from "../util/timer-delay.ts";

const MIN_RTO = 0.025;
const MAX_RTO = 5.0;
/**
 * Timeout backoff stops here (unless the measured RTT needs more). A serial
 * line has no congestion to back off from; long waits only turn a burst of
 * line noise into "Lost communication".
 */
const MAX_BACKOFF_RTO = 1.0;
/** Blocks in flight without an ack, at most. */
const MAX_PENDING_BLOCKS = 12;
/** Commands go out once their reqClock is this close (seconds). */
const MIN_REQTIME_DELTA = 0.1;
const MIN_BACKGROUND_DELTA = 0.005;
/** Re-check delay while waiting for acks to open the window. */
const WINDOW_RECHECK = 0.25;

const NOW = -1;

/** A response block as it arrived, with the timing clock sync needs. */
export interface ReceivedBlock {
  payload: Uint8Array;
  /** Host time the block it answers finished transmitting; 0 if unknown (retransmitted). */
  sentTime: number;
  /** Host time the block started arriving. */
  receiveTime: number;
}

export interface SerialQueueOptions {
  /** Puts bytes on the wire. */
  write(bytes: Uint8Array): void;
  /** A data block (non-empty payload) from the MCU, in order. */
  onBlock(block: ReceivedBlock): void;
  /**
   * A well-formed data block whose sequence number does not fit this session
   * (dropped from the stream). A rebooted MCU announces itself this way: its
   * `starting` message carries the sequence number it restarted with.
   */
  onStrayBlock?(payload: Uint8Array): void;
  /** Host monotonic time in seconds. */
  now?: () => number;
}

export interface SerialStats {
  bytes_write: number;
  bytes_read: number;
  bytes_retransmit: number;
  bytes_invalid: number;
  send_seq: number;
  receive_seq: number;
  retransmit_seq: number;
  srtt: number;
  rttvar: number;
  rto: number;
  ready_bytes: number;
  upcoming_bytes: number;
  /** Retransmissions triggered by a nak / by the timeout. */
  retransmit_nak: number;
  retransmit_timeout: number;
}

interface SentBlock {
  bytes: Uint8Array;
  /** Host time its last byte should have left (wire speed). */
  doneTime: number;
}

interface PendingNotify {
  seq: number;
  cmd: QueuedCommand;
}

export const monotonic = (): number => performance.now() / 1000;

export class SerialQueue implements McuLink {
  private readonly scheduler = new CommandScheduler();
  private readonly reader = new BlockReader();
  private readonly now: () => number;
  private closed = false;

  // Sequence tracking (64-bit style counters; the wire carries the low 4 bits)
  private sendSeq = 1;
  private receiveSeq = 1;
  private lastAckSeq = 0;
  private ignoreNakSeq = 0;
  private retransmitSeq = 0;
  private rttSampleSeq = 0;
  private readonly sent: SentBlock[] = [];
  private readonly notify: PendingNotify[] = [];
  private lastReceiveSentTime = 0;

  // Retransmit timing
  private srtt = 0;
  private rttvar = 0;
  private rto = MIN_RTO;
  /** rto as computed from srtt/rttvar, before any timeout backoff. */
  private baseRto = MIN_RTO;
  private retransmitTimer: ReturnType<typeof setTimeout> | null = null;

  // Flow control and wire speed
  private receiveWindow = 0;
  private needAckBytes = 0;
  private lastAckBytes = 0;
  private bitTime = 0;
  private idleTime = 0;

  // Clock estimate of the MCU (from clock sync)
  private estFreq = 0;
  private convTime = 0;
  private convClock = 0;

  private commandTimer: ReturnType<typeof setTimeout> | null = null;
  private commandAt = Infinity;
  private immediatePending = false;

  private bytesWrite = 0;
  private bytesRead = 0;
  private bytesRetransmit = 0;
  private bytesInvalid = 0;
  private retransmitNak = 0;
  private retransmitTimeout = 0;
  private discardedSeen = 0;

  constructor(private readonly opts: SerialQueueOptions) {
    this.now = opts.now ?? monotonic;
  }

  /** Bytes the MCU can buffer (its RECEIVE_WINDOW constant); 0 = unlimited. */
  setReceiveWindow(bytes: number): void {
    this.receiveWindow = bytes;
  }

  /** Baud rate of an 8N1 line (10 bits per byte); used to time transmissions. */
  setWireFrequency(baud: number): void {
    this.bitTime = 10 / baud;
  }

  /** Estimated MCU clock: convClock at host time convTime, advancing at freq. */
  setClockEstimate(freq: number, convTime: number, convClock: number): void {
    this.estFreq = freq;
    this.convTime = convTime;
    this.convClock = convClock;
  }

  send(queue: CommandQueue, cmd: QueuedCommand): void {
    if (this.closed) {
      cmd.onAck?.(null);
      return;
    }
    this.scheduler.push(queue, cmd);
    this.kick();
  }

  flush(): void {
    this.kick();
  }

  /** Feed bytes read from the wire. */
  receive(chunk: Uint8Array): void {
    if (this.closed) return;
    const eventTime = this.now();
    this.reader.push(chunk);
    for (let b = this.reader.next(); b; b = this.reader.next()) this.handleBlock(b.seq, b.payload, eventTime);
    const discarded = this.reader.stats.bytesDiscarded;
    this.bytesInvalid += discarded - this.discardedSeen;
    this.discardedSeen = discarded;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearTimers();
    const waiting = [...this.notify.map((n) => n.cmd)];
    this.notify.length = 0;
    for (const c of waiting) c.onAck?.(null);
  }

  stats(): SerialStats {
    return {
      bytes_write: this.bytesWrite,
      bytes_read: this.bytesRead,
      bytes_retransmit: this.bytesRetransmit,
      bytes_invalid: this.bytesInvalid,
      send_seq: this.sendSeq,
      receive_seq: this.receiveSeq,
      retransmit_seq: this.retransmitSeq,
      srtt: this.srtt,
      rttvar: this.rttvar,
      rto: this.rto,
      ready_bytes: this.scheduler.readyBytes,
      upcoming_bytes: this.scheduler.upcomingBytes,
      retransmit_nak: this.retransmitNak,
      retransmit_timeout: this.retransmitTimeout,
    };
  }

  /** Klipper-style "key=value ..." stats line. */
  statsLine(): string {
    // klippy's serialqueue_get_stats fields only (the log's Stats line and mcu.last_stats match Klipper)
    const { retransmit_nak: _nak, retransmit_timeout: _timeout, ...s } = this.stats();
    return Object.entries(s)
      .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(3)}`)
      .join(" ");
  }

  // ---------------------------------------------------------------- receive

  private handleBlock(wireSeq: number, payload: Uint8Array, eventTime: number): void {
    const len = payload.length + MESSAGE_MIN;
    const delta = (wireSeq - this.receiveSeq) & MESSAGE_SEQ_MASK;
    const rseq = this.receiveSeq + delta;
    if (rseq !== this.receiveSeq) {
      if (rseq > this.sendSeq && this.receiveSeq !== 1) {
        // Acks a block never sent: stale or out-of-order data.
        this.bytesInvalid += len;
        if (payload.length > 0) this.opts.onStrayBlock?.(payload);
        return;
      }
      this.updateReceiveSeq(eventTime, rseq);
    }
    this.bytesRead += len;

    if (payload.length === 0) {
      if (this.lastAckSeq < rseq) this.lastAckSeq = rseq;
      else if (rseq > this.ignoreNakSeq && this.sent.length > 0) this.retransmitNow();
    } else {
      const sentTime = rseq > this.retransmitSeq ? this.lastReceiveSentTime : 0;
      const receiveTime = this.now() - this.bitTime * len;
      this.opts.onBlock({ payload, sentTime, receiveTime });
    }
    // A data block may be one of several replies to the block it acks, so
    // only blocks before that one count as answered until the bare ack comes.
    const wakeSeq = rseq - 1 - (payload.length > 0 ? 1 : 0);
    while (this.notify.length > 0 && this.notify[0]!.seq <= wakeSeq) {
      const n = this.notify.shift()!;
      n.cmd.onAck?.({ sentTime: this.lastReceiveSentTime, receiveTime: eventTime });
    }
  }

  private updateReceiveSeq(eventTime: number, rseq: number): void {
    let sentSeq = this.receiveSeq;
    for (;;) {
      const first = this.sent.shift();
      if (!first) {
        // Ack for nothing we sent: the MCU's sequence at connection start.
        this.sendSeq = rseq;
        this.lastReceiveSentTime = 0;
        break;
      }
      this.needAckBytes -= first.bytes.length;
      sentSeq++;
      if (rseq === sentSeq) {
        this.lastReceiveSentTime = first.doneTime;
        this.lastAckBytes = first.bytes.length;
        break;
      }
    }
    this.receiveSeq = rseq;
    // The MCU is answering again: drop the timeout backoff (as TCP stacks do
    // on new acks) so one bad stretch does not slow every later recovery.
    this.rto = this.baseRto;
    this.kickNow();

    if (this.rttSampleSeq && rseq > this.rttSampleSeq && this.lastReceiveSentTime) {
      const delta = eventTime - this.lastReceiveSentTime;
      if (!this.srtt) {
        this.rttvar = delta / 2;
        this.srtt = delta * 10; // start high until real samples come in
      } else {
        this.rttvar = (3 * this.rttvar + Math.abs(this.srtt - delta)) / 4;
        this.srtt = (7 * this.srtt + delta) / 8;
      }
      this.baseRto = this.rto = clamp(this.srtt + Math.max(this.rttvar * 4, 0.001), MIN_RTO, MAX_RTO);
      this.rttSampleSeq = 0;
    }
    if (this.sent.length === 0) this.setRetransmitTimer(Infinity);
    else this.setRetransmitTimer(eventTime + this.rto + this.bitTime * this.sent[0]!.bytes.length);
  }

  // ------------------------------------------------------------ retransmit

  private retransmitNow(): void {
    this.doRetransmit(true);
  }

  private doRetransmit(isNak: boolean): void {
    if (this.closed || this.sent.length === 0) {
      this.setRetransmitTimer(Infinity);
      return;
    }
    const eventTime = this.now();
    let total = 1;
    for (const s of this.sent) total += s.bytes.length;
    const buf = new Uint8Array(total);
    buf[0] = MESSAGE_SYNC; // resynchronize the MCU's parser first
    let pos = 1;
    for (const s of this.sent) {
      buf.set(s.bytes, pos);
      pos += s.bytes.length;
    }
    this.opts.write(buf);
    this.bytesRetransmit += total;
    if (isNak) {
      this.retransmitNak++;
      this.ignoreNakSeq = this.receiveSeq;
      // A second nak for the same retransmit is accepted, a third is not.
      if (this.receiveSeq < this.retransmitSeq) this.ignoreNakSeq = this.retransmitSeq;
    } else {
      this.retransmitTimeout++;
      this.rto = Math.min(this.rto * 2, Math.max(MAX_BACKOFF_RTO, this.baseRto));
      // Unlike klippy (which ignores naks up to send_seq here), a nak for a
      // block the MCU still lacks means this retransmit was damaged too: on a
      // noisy line waiting out another doubled timeout is what stalls the link.
      this.ignoreNakSeq = this.receiveSeq;
    }
    this.retransmitSeq = this.sendSeq;
    this.rttSampleSeq = 0;
    this.idleTime = eventTime + this.bitTime * total;
    this.setRetransmitTimer(eventTime + this.rto + this.bitTime * (this.sent[0]!.bytes.length + 1));
  }

  private setRetransmitTimer(at: number): void {
    if (this.retransmitTimer) clearTimeout(this.retransmitTimer);
    this.retransmitTimer = null;
    if (at === Infinity || this.closed) return;
    const ms = timerDelayMs(at - this.now());
    this.retransmitTimer = setTimeout(() => {
      this.retransmitTimer = null;
      this.doRetransmit(false);
    }, ms);
  }

  // ------------------------------------------------------------- transmit

  /** Re-evaluate sending soon (after the current synchronous burst of sends). */
  private kick(): void {
    if (this.immediatePending || this.closed) return;
    this.immediatePending = true;
    setImmediate(() => {
      this.immediatePending = false;
      this.commandEvent();
    });
  }

  private kickNow(): void {
    if (this.commandAt > this.now()) this.kick();
  }

  private clockAt(time: number): number {
    return this.convClock + (time - this.convTime) * this.estFreq;
  }

  private commandEvent(): void {
    if (this.closed) return;
    const eventTime = this.now();
    const blocks: Uint8Array[] = [];
    let pending = 0;
    let wake: number;
    for (;;) {
      wake = this.checkSendCommand(pending, eventTime);
      if (wake !== NOW) break;
      const block = this.buildBlock(pending, eventTime);
      blocks.push(block);
      pending += block.length;
      if (pending + MESSAGE_MAX > MESSAGE_MAX * MAX_PENDING_BLOCKS) break;
    }
    if (pending > 0) {
      const out = blocks.length === 1 ? blocks[0]! : concat(blocks, pending);
      this.opts.write(out);
      this.bytesWrite += pending;
      this.idleTime = Math.max(eventTime, this.idleTime) + this.bitTime * pending;
      this.kick();
      return;
    }
    this.setCommandTimer(wake);
  }

  private setCommandTimer(at: number): void {
    if (this.commandTimer) clearTimeout(this.commandTimer);
    this.commandTimer = null;
    this.commandAt = at;
    if (at === Infinity || this.closed) return;
    const ms = timerDelayMs(at - this.now());
    this.commandTimer = setTimeout(() => {
      this.commandTimer = null;
      this.commandAt = Infinity;
      this.commandEvent();
    }, ms);
  }

  /** NOW if a block should be built now, else the host time to check again. */
  private checkSendCommand(pending: number, eventTime: number): number {
    const idle = Math.max(eventTime, this.idleTime) + this.bitTime * (pending + MESSAGE_MIN);
    const ackClock = this.estFreq ? this.clockAt(idle) : 0;
    const minStalled = this.scheduler.release(this.estFreq ? ackClock : Infinity);

    if (this.sendSeq - this.receiveSeq >= MAX_PENDING_BLOCKS) return eventTime + WINDOW_RECHECK;
    if (this.sendSeq > this.receiveSeq && this.receiveWindow) {
      let needAck = this.needAckBytes + MESSAGE_MAX;
      if (this.lastAckSeq < this.receiveSeq) needAck += this.lastAckBytes;
      if (needAck > this.receiveWindow) return eventTime + WINDOW_RECHECK;
    }
    if (this.scheduler.readyBytes >= BLOCK_PAYLOAD_MAX) return NOW;
    if (!this.estFreq) return this.scheduler.readyBytes ? NOW : Infinity;

    const bgTime = (pending ? idle : this.idleTime) + MIN_REQTIME_DELTA + MIN_BACKGROUND_DELTA;
    const minReady = this.scheduler.minReadyClock(this.clockAt(bgTime));
    const reqDelta = MIN_REQTIME_DELTA * this.estFreq;
    if (minReady <= ackClock + reqDelta) return NOW;
    if (pending) return eventTime;
    const want = Math.min(minReady - reqDelta, minStalled);
    if (want === Infinity) return Infinity;
    return idle + (want - ackClock) / this.estFreq;
  }

  private buildBlock(pending: number, eventTime: number): Uint8Array {
    const cmds = this.scheduler.takeBlock();
    const seq = this.sendSeq;
    const bytes = encodeBlock(seq & MESSAGE_SEQ_MASK, joinPayload(cmds));
    for (const c of cmds) if (c.onAck) this.notify.push({ seq, cmd: c });
    const doneTime = Math.max(eventTime, this.idleTime) + this.bitTime * (pending + bytes.length);
    if (this.sent.length === 0) this.setRetransmitTimer(doneTime + this.rto);
    if (!this.rttSampleSeq) this.rttSampleSeq = seq;
    this.sendSeq++;
    this.needAckBytes += bytes.length;
    this.sent.push({ bytes, doneTime });
    return bytes;
  }

  private clearTimers(): void {
    if (this.commandTimer) clearTimeout(this.commandTimer);
    if (this.retransmitTimer) clearTimeout(this.retransmitTimer);
    this.commandTimer = this.retransmitTimer = null;
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}
