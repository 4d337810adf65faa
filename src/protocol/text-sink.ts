// A growable byte buffer for rendering message text straight to UTF-8, so that decoding a large
// stream to text makes no string per message.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

// Python's repr() of bytes: the text of each byte inside b'...' or b"..." (quote chosen per value).
function escapeTable(quote: number): Uint8Array[] {
  const t: Uint8Array[] = [];
  for (let c = 0; c < 256; c++) {
    let s: string;
    if (c === quote || c === 0x5c) s = "\\" + String.fromCharCode(c);
    else if (c === 0x09) s = "\\t";
    else if (c === 0x0a) s = "\\n";
    else if (c === 0x0d) s = "\\r";
    else if (c < 0x20 || c >= 0x7f) s = "\\x" + c.toString(16).padStart(2, "0");
    else s = String.fromCharCode(c);
    t.push(utf8(s));
  }
  return t;
}
const POW10 = Array.from({ length: 18 }, (_, i) => 10 ** i);
const SINGLE = escapeTable(0x27);
const DOUBLE = escapeTable(0x22);

export class TextSink {
  buf: Uint8Array;
  pos = 0;

  constructor(capacity = 1 << 16) {
    this.buf = new Uint8Array(capacity);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  bytes(b: Uint8Array): void {
    const n = b.length;
    this.room(n);
    if (n > 16) this.buf.set(b, this.pos);
    else for (let i = 0; i < n; i++) this.buf[this.pos + i] = b[i]!; // set() costs more for short runs
    this.pos += n;
  }

  byte(c: number): void {
    this.room(1);
    this.buf[this.pos++] = c;
  }

  /** An integer in decimal (any safe integer). */
  int(v: number): void {
    this.room(17);
    if (v < 0) {
      this.buf[this.pos++] = 0x2d;
      v = -v;
    }
    if (v < 10) {
      this.buf[this.pos++] = 0x30 + v;
      return;
    }
    if (v > Number.MAX_SAFE_INTEGER) {
      this.bytes(utf8(BigInt(v).toString())); // only from malformed, overlong numbers
      return;
    }
    let digits = 2;
    while (digits < 17 && v >= POW10[digits]!) digits++;
    const buf = this.buf;
    let p = this.pos + digits;
    this.pos = p;
    while (v > 0x7fffffff) {
      const q = Math.floor(v / 10);
      buf[--p] = 0x30 + (v - q * 10);
      v = q;
    }
    while (p > this.pos - digits) {
      const q = (v / 10) | 0;
      buf[--p] = 0x30 + (v - q * 10);
      v = q;
    }
  }

  /** Python's repr() of a bytes value. */
  repr(data: Uint8Array): void {
    // Python picks double quotes only when the data has a single quote and no double quote.
    let single = false;
    let double = false;
    for (let i = 0; i < data.length; i++) {
      if (data[i] === 0x27) single = true;
      else if (data[i] === 0x22) double = true;
    }
    const q = single && !double ? 0x22 : 0x27;
    const table = q === 0x22 ? DOUBLE : SINGLE;
    this.room(3 + 4 * data.length);
    const buf = this.buf;
    let pos = this.pos;
    buf[pos++] = 0x62; // b
    buf[pos++] = q;
    for (let i = 0; i < data.length; i++) {
      const e = table[data[i]!]!;
      if (e.length === 1) buf[pos++] = e[0]!;
      else for (let j = 0; j < e.length; j++) buf[pos++] = e[j]!;
    }
    buf[pos++] = q;
    this.pos = pos;
  }

  /** Everything written so far as a string. */
  toString(): string {
    return decoder.decode(this.buf.subarray(0, this.pos));
  }

  /** Hands out the written bytes (a copy) and starts over. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    this.pos = 0;
    return out;
  }
}

export function pyBytesRepr(data: Uint8Array): string {
  const s = new TextSink(3 + 4 * data.length);
  s.repr(data);
  return s.toString();
}
