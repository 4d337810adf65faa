// Klipper's variable-length integer: 7 bits per byte, most significant first, the top bit marks
// "more follows"; bit 0x40 of the first byte (when 0x60 is set) carries the sign.

/** Bytes needed to encode v (v must lie in [-2^31, 2^32)). */
export function vlqLength(v: number): number {
  if (v >= 0xc000000 || v < -0x4000000) return 5;
  if (v >= 0x180000 || v < -0x80000) return 4;
  if (v >= 0x3000 || v < -0x1000) return 3;
  if (v >= 0x60 || v < -0x20) return 2;
  return 1;
}

/** Writes v at out[pos]; returns the position after it. */
export function writeVlq(out: Uint8Array, pos: number, v: number): number {
  const n = vlqLength(v);
  // Lower bytes only need the 32-bit two's complement pattern.
  const u = v | 0;
  switch (n) {
    // The top byte must keep the sign of v itself (0xffffffff vs -1), so divide instead of shifting.
    case 5: out[pos++] = (Math.floor(v / 0x10000000) & 0x7f) | 0x80; // fallthrough
    case 4: out[pos++] = ((u >> 21) & 0x7f) | 0x80; // fallthrough
    case 3: out[pos++] = ((u >> 14) & 0x7f) | 0x80; // fallthrough
    case 2: out[pos++] = ((u >> 7) & 0x7f) | 0x80; // fallthrough
    default: out[pos++] = u & 0x7f;
  }
  return pos;
}

/**
 * A read position in a byte buffer. Reading never throws: reading a byte past `end` sets `overrun`
 * (and `pos` then exceeds `end`), so a decoder checks once per message instead of per byte.
 */
export class Cursor {
  overrun = false;
  constructor(
    public buf: Uint8Array,
    public pos: number,
    public end: number,
  ) {}

  private byte(): number {
    if (this.pos >= this.end) {
      this.overrun = true;
      this.pos++;
      return 0;
    }
    return this.buf[this.pos++]!;
  }

  /** The value as Klipper's host parser sees it: signed, unmasked (exact up to 7 bytes, which only
   *  malformed input exceeds; Klipper's Python would print the exact big integer). */
  readInt(): number {
    let c = this.byte();
    let v = c & 0x7f;
    if ((c & 0x60) === 0x60) v -= 0x80; // sign-extend the first byte
    while (c & 0x80) {
      c = this.byte();
      v = v * 128 + (c & 0x7f);
      if (this.overrun) break;
    }
    return v;
  }

  /** As the unsigned 32-bit value Klipper reports for %u/%hu/%c: the low 32 bits, exact at any length. */
  readUint(): number {
    let c = this.byte();
    let v = c & 0x7f;
    if ((c & 0x60) === 0x60) v |= ~0x1f; // sign-extend the first byte
    while (c & 0x80) {
      c = this.byte();
      v = (v << 7) | (c & 0x7f);
      if (this.overrun) break;
    }
    return v >>> 0;
  }

  /**
   * A length-prefixed byte string, as a view into the buffer (no copy). A length reaching past `end`
   * yields the bytes that are there and leaves `pos` past `end` (Klipper slices the same way).
   */
  readBytes(): Uint8Array {
    const len = this.byte();
    const start = this.pos;
    this.pos += len;
    return this.buf.subarray(start, Math.min(this.pos, this.end));
  }
}
