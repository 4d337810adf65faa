// Message blocks: [length][seq|0x10][payload...][crc16 hi][crc16 lo][0x7e]. Building them, grouping
// messages into them, and finding them again in a byte stream that may contain garbage.
import { MESSAGE_DEST, MESSAGE_HEADER_SIZE, MESSAGE_MAX, MESSAGE_MIN, MESSAGE_PAYLOAD_MAX, MESSAGE_SEQ_MASK, MESSAGE_SYNC, MESSAGE_TRAILER_SIZE } from "./constants.ts";
import { crc16 } from "./crc16.ts";
import { ProtocolError } from "./errors.ts";

export function encodeBlock(seq: number, payload: Uint8Array): Uint8Array {
  if (payload.length > MESSAGE_PAYLOAD_MAX) {
    throw new ProtocolError(`block payload of ${payload.length} bytes exceeds the maximum of ${MESSAGE_PAYLOAD_MAX}`);
  }
  const out = new Uint8Array(payload.length + MESSAGE_MIN);
  out.set(payload, MESSAGE_HEADER_SIZE);
  frameBlockAt(out, 0, seq, payload.length);
  return out;
}

/**
 * Frames a payload already placed at out[pos + MESSAGE_HEADER_SIZE ...] (length, sequence, CRC,
 * sync around it), so writers can build blocks in their own buffer; returns the block's end.
 */
export function frameBlockAt(out: Uint8Array, pos: number, seq: number, payloadLength: number): number {
  if (payloadLength > MESSAGE_PAYLOAD_MAX) {
    throw new ProtocolError(`block payload of ${payloadLength} bytes exceeds the maximum of ${MESSAGE_PAYLOAD_MAX}`);
  }
  const len = payloadLength + MESSAGE_MIN, end = pos + len;
  out[pos] = len;
  out[pos + 1] = (seq & MESSAGE_SEQ_MASK) | MESSAGE_DEST;
  const crc = crc16(out, pos, end - MESSAGE_TRAILER_SIZE);
  out[end - 3] = crc >> 8;
  out[end - 2] = crc & 0xff;
  out[end - 1] = MESSAGE_SYNC;
  return end;
}

/** Groups encoded messages, in order, into as few block payloads as fit (each <= MESSAGE_MAX-5). */
export function packMessages(messages: Uint8Array[]): Uint8Array[] {
  const payloads: Uint8Array[] = [];
  let group: Uint8Array[] = [];
  let size = 0;
  const flush = () => {
    const p = new Uint8Array(size);
    let pos = 0;
    for (const m of group) {
      p.set(m, pos);
      pos += m.length;
    }
    payloads.push(p);
    group = [];
    size = 0;
  };
  for (const [i, m] of messages.entries()) {
    if (m.length === 0) throw new ProtocolError(`message ${i} is empty`);
    if (m.length > MESSAGE_PAYLOAD_MAX) throw new ProtocolError(`message ${i} is ${m.length} bytes, more than a block carries (${MESSAGE_PAYLOAD_MAX})`);
    if (size + m.length > MESSAGE_PAYLOAD_MAX) flush();
    group.push(m);
    size += m.length;
  }
  if (group.length) flush();
  return payloads;
}

export interface BlockStats {
  blocks: number;
  badCrc: number;
  badLength: number;
  /** Blocks whose sequence byte lacks the 0x10 destination bits or whose last byte is not 0x7e. */
  badFrame: number;
  bytesDiscarded: number;
}

type Verdict = "ok" | "more" | "badLength" | "badFrame" | "badCrc";

/**
 * Incremental block parser. Feed bytes with push(), take blocks with next() until it returns null.
 * On anything invalid it drops one byte and tries again at the next position (as Klipper's
 * parsedump does), so every intact block after garbage is found. Never throws; after next() has
 * returned null at most MESSAGE_MAX-1 bytes (a partial block) stay buffered.
 */
export class BlockReader {
  readonly stats: BlockStats = { blocks: 0, badCrc: 0, badLength: 0, badFrame: 0, bytesDiscarded: 0 };
  private buf = new Uint8Array(4 * MESSAGE_MAX);
  private start = 0;
  private end = 0;
  private inSync = true; // counts one error per stretch of garbage, not one per dropped byte

  /** Bytes held that are not yet part of a returned block. */
  get buffered(): number {
    return this.end - this.start;
  }

  push(chunk: Uint8Array): void {
    const pending = this.end - this.start;
    const needed = pending + chunk.length;
    // Grow for a big chunk, and give the memory back once chunks are small again.
    const oversized = this.buf.length > 65536 && this.buf.length > 4 * needed;
    if (needed > this.buf.length || oversized) {
      const fresh = new Uint8Array(Math.max(needed, 4 * MESSAGE_MAX, oversized ? 0 : 2 * this.buf.length));
      fresh.set(this.buf.subarray(this.start, this.end));
      this.buf = fresh;
    } else if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
    }
    this.start = 0;
    this.end = pending;
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /** The next block with a copy of its payload, or null when more bytes are needed. */
  next(): { seq: number; payload: Uint8Array } | null {
    const block = this.nextView();
    if (!block) return null;
    return { seq: block[1]! & MESSAGE_SEQ_MASK, payload: block.slice(MESSAGE_HEADER_SIZE, block.length - MESSAGE_TRAILER_SIZE) };
  }

  /** The next whole block (length byte to sync byte) as a view that is valid until the next push(). */
  nextView(): Uint8Array | null {
    for (;;) {
      const v = this.check();
      if (v === "more") return null;
      if (v === "ok") {
        const len = this.buf[this.start]!;
        const block = this.buf.subarray(this.start, this.start + len);
        this.start += len;
        this.stats.blocks++;
        this.inSync = true;
        return block;
      }
      if (this.inSync) this.stats[v]++;
      this.inSync = false;
      this.start++;
      this.stats.bytesDiscarded++;
    }
  }

  private check(): Verdict {
    const b = this.buf;
    const s = this.start;
    const avail = this.end - s;
    if (avail < MESSAGE_MIN) return "more";
    const len = b[s]!;
    if (len < MESSAGE_MIN || len > MESSAGE_MAX) return "badLength";
    if ((b[s + 1]! & ~MESSAGE_SEQ_MASK) !== MESSAGE_DEST) return "badFrame";
    if (avail < len) return "more";
    if (b[s + len - 1] !== MESSAGE_SYNC) return "badFrame";
    const crc = crc16(b, s, s + len - MESSAGE_TRAILER_SIZE);
    if (b[s + len - 3] !== crc >> 8 || b[s + len - 2] !== (crc & 0xff)) return "badCrc";
    return "ok";
  }
}
