// Test peer for the serial queue: the MCU side of the block protocol only
// (sequence check, ack after each accepted block, nak on a gap or garbage,
// resync at the next 0x7e), following the firmware's rules. It records the
// payloads it accepted; it is not an MCU (it runs no commands).
import { crc16, encodeBlock, MESSAGE_DEST, MESSAGE_MAX, MESSAGE_MIN, MESSAGE_SEQ_MASK, MESSAGE_SYNC } from "../../src/protocol/index.ts";
import { seededRandom } from "../support/random.ts";

export class BlockPeer {
  /** Payloads of accepted blocks, in order. */
  readonly accepted: Uint8Array[] = [];
  private buf: number[] = [];
  private nextSeq = 1;
  private needSync = false;
  private needValid = false;
  acks = 0;
  naks = 0;
  /** When false the peer swallows blocks silently (an MCU that stopped answering). */
  answering = true;
  /** Called with each accepted payload; may return reply payloads sent before the ack. */
  onPayload: (payload: Uint8Array) => Uint8Array[] = () => [];

  constructor(private readonly write: (bytes: Uint8Array) => void, firstSeq = 1) {
    this.nextSeq = firstSeq & MESSAGE_SEQ_MASK;
  }

  receive(chunk: Uint8Array): void {
    for (const b of chunk) this.buf.push(b);
    for (;;) {
      const r = this.findBlock();
      if (r === 0) return;
    }
  }

  /** 0: need more data; otherwise bytes consumed. */
  private findBlock(): number {
    const b = this.buf;
    if (b.length && this.needSync) return this.skipToSync();
    if (b.length < MESSAGE_MIN) return 0;
    const len = b[0]!;
    if (len < MESSAGE_MIN || len > MESSAGE_MAX) return this.error();
    const seq = b[1]!;
    if ((seq & ~MESSAGE_SEQ_MASK) !== MESSAGE_DEST) return this.error();
    if (b.length < len) return 0;
    if (b[len - 1] !== MESSAGE_SYNC) return this.error();
    const block = Uint8Array.from(b.slice(0, len));
    const crc = crc16(block, 0, len - 3);
    if (block[len - 3] !== crc >> 8 || block[len - 2] !== (crc & 0xff)) return this.error();
    this.needValid = false;
    this.buf.splice(0, len);
    if ((seq & MESSAGE_SEQ_MASK) !== this.nextSeq) {
      this.sendAck(false);
      return len;
    }
    this.nextSeq = (this.nextSeq + 1) & MESSAGE_SEQ_MASK;
    const payload = block.slice(2, len - 3);
    this.accepted.push(payload);
    for (const reply of this.onPayload(payload)) if (this.answering) this.write(encodeBlock(this.nextSeq, reply));
    this.sendAck(true);
    return len;
  }

  private error(): number {
    if (this.buf[0] === MESSAGE_SYNC) {
      this.buf.shift();
      return 1;
    }
    this.needSync = true;
    return this.skipToSync();
  }

  private skipToSync(): number {
    const i = this.buf.indexOf(MESSAGE_SYNC);
    const n = i >= 0 ? i + 1 : this.buf.length;
    this.buf.splice(0, n);
    if (i >= 0) this.needSync = false;
    if (this.needValid) return n;
    this.needValid = true;
    this.sendAck(false);
    return n;
  }

  private sendAck(isAck: boolean): void {
    if (isAck) this.acks++;
    else this.naks++;
    if (this.answering) this.write(encodeBlock(this.nextSeq, new Uint8Array(0)));
  }
}

/** One direction of a lossy wire: delivers chunks asynchronously, dropping and corrupting bytes. */
export class LossyWire {
  dropped = 0;
  corrupted = 0;
  delivered = 0;
  private rnd: () => number;
  constructor(
    private readonly deliver: (bytes: Uint8Array) => void,
    seed: number,
    private readonly dropRate = 0,
    private readonly corruptRate = 0,
  ) {
    this.rnd = seededRandom(seed);
  }
  send(bytes: Uint8Array): void {
    const out: number[] = [];
    for (const b of bytes) {
      const r = this.rnd();
      if (r < this.dropRate) {
        this.dropped++;
        continue;
      }
      if (r < this.dropRate + this.corruptRate) {
        this.corrupted++;
        out.push(b ^ (1 + Math.floor(this.rnd() * 255)));
        continue;
      }
      out.push(b);
    }
    this.delivered += out.length;
    const chunk = Uint8Array.from(out);
    setTimeout(() => this.deliver(chunk), 0);
  }
}
