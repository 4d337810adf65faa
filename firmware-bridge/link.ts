// The firmware's end of the serial link (firmware command.c / serial_irq.c): finds message blocks
// in received bytes, checks length, CRC, sync byte and sequence number, acks every dispatched block
// with the next expected sequence number, naks (an empty block with that same number) a lost or
// repeated block, and frames responses with the current sequence number as firmware does.

import { crc16, encodeBlock, MESSAGE_DEST, MESSAGE_MAX, MESSAGE_MIN, MESSAGE_SEQ_MASK, MESSAGE_SYNC, MESSAGE_TRAILER_SIZE } from "../src/protocol/index.ts";

const RX_BUFFER_SIZE = 192;
const EMPTY = new Uint8Array(0);

/** What the link answers after a block ran: an ack, a nak (a shutdown abandoned it), or nothing (reboot). */
export type BlockOutcome = "ack" | "nak" | "reboot";

export interface LinkStats {
  blocks: number; // dispatched
  naks: number;
  outOfSequence: number; // well-formed blocks with the wrong sequence number (retransmits, losses)
  invalid: number; // bytes discarded while hunting for a sync byte
}

export class FirmwareLink {
  readonly stats: LinkStats = { blocks: 0, naks: 0, outOfSequence: 0, invalid: 0 };
  private readonly rx = new Uint8Array(RX_BUFFER_SIZE);
  private rxLen = 0;
  private nextSequence = MESSAGE_DEST;
  private needSync = false;
  private needValid = false;

  /** dispatch runs the commands of a block; write receives framed bytes. */
  constructor(
    private readonly dispatch: (payload: Uint8Array) => BlockOutcome,
    private readonly write: (bytes: Uint8Array) => void,
  ) {}

  /** Frames one response payload. */
  send(payload: Uint8Array): void {
    this.write(encodeBlock(this.nextSequence, payload));
  }

  /** Firmware restart: sequence numbering and sync state start over. */
  reset(): void {
    this.rxLen = 0;
    this.nextSequence = MESSAGE_DEST;
    this.needSync = this.needValid = false;
  }

  receive(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(RX_BUFFER_SIZE - this.rxLen, chunk.length - off);
      this.rx.set(chunk.subarray(off, off + n), this.rxLen);
      this.rxLen += n;
      off += n;
      while (this.rxLen > 0 && this.processOne());
    }
  }

  /** Handles the block (or garbage) at the start of the buffer; false when more bytes are needed. */
  private processOne(): boolean {
    const buf = this.rx;
    const avail = this.rxLen;
    if (!this.needSync) {
      if (avail < MESSAGE_MIN) return false;
      const len = buf[0]!;
      const seq = buf[1]!;
      let valid = len >= MESSAGE_MIN && len <= MESSAGE_MAX && (seq & ~MESSAGE_SEQ_MASK) === MESSAGE_DEST;
      if (valid) {
        if (avail < len) return false;
        const crc = crc16(buf, 0, len - MESSAGE_TRAILER_SIZE);
        valid = buf[len - 1] === MESSAGE_SYNC && buf[len - 3] === crc >> 8 && buf[len - 2] === (crc & 0xff);
      }
      if (valid) {
        this.needValid = false;
        if (seq !== this.nextSequence) {
          this.stats.outOfSequence++;
          this.pop(len);
          this.nak();
          return true;
        }
        this.nextSequence = ((seq + 1) & MESSAGE_SEQ_MASK) | MESSAGE_DEST;
        const payload = buf.slice(2, len - MESSAGE_TRAILER_SIZE);
        this.pop(len);
        this.stats.blocks++;
        // a shutdown inside the block means no ack; the firmware then naks the block it re-reads
        const outcome = this.dispatch(payload);
        if (outcome === "ack") this.send(EMPTY);
        else if (outcome === "nak") this.nak();
        return true;
      }
      if (buf[0] === MESSAGE_SYNC) {
        this.pop(1); // leading sync bytes are ignored without a nak
        return true;
      }
      this.needSync = true;
    }
    // discard up to and including the next sync byte
    const sync = buf.subarray(0, avail).indexOf(MESSAGE_SYNC);
    const drop = sync >= 0 ? sync + 1 : avail;
    if (sync >= 0) this.needSync = false;
    this.stats.invalid += drop;
    this.pop(drop);
    if (!this.needValid) {
      this.needValid = true;
      this.nak();
    }
    return true;
  }

  private nak(): void {
    this.stats.naks++;
    this.send(EMPTY);
  }

  private pop(n: number): void {
    this.rx.copyWithin(0, n, this.rxLen);
    this.rxLen -= n;
  }
}
