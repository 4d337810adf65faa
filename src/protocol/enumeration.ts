// Enumerations of a data dictionary: symbolic names for integer parameters (pins, buses, static
// strings). A list value [start, count] names a run of consecutive values, e.g. "PA0": [0, 16]
// stands for PA0..PA15 = 0..15; the trailing digits of the key give the first suffix.
import { ProtocolError } from "./errors.ts";
import { type TextSink, utf8 } from "./text-sink.ts";

export class Enumeration {
  readonly bySymbol = new Map<string, number>();
  private reverse: Map<number, string> | null = null;
  private reverseBytes: Map<number, Uint8Array> | null = null;

  constructor(readonly name: string) {}

  add(symbol: string, value: unknown): void {
    if (typeof value === "number" && Number.isInteger(value)) {
      this.set(symbol, value);
      return;
    }
    if (!Array.isArray(value) || value.length !== 2 || !value.every((x) => Number.isInteger(x))) {
      throw new ProtocolError(`enumeration '${this.name}': entry '${symbol}' must be an integer or [start, count], got ${JSON.stringify(value)}`);
    }
    const [start, count] = value as [number, number];
    const root = symbol.replace(/[0-9]+$/, "");
    const first = root.length === symbol.length ? 0 : Number.parseInt(symbol.slice(root.length), 10);
    for (let i = 0; i < count; i++) this.set(root + String(first + i), start + i);
  }

  private set(symbol: string, value: number): void {
    this.bySymbol.set(symbol, value);
    this.reverse = null;
    this.reverseBytes = null;
  }

  /** Value -> symbol; a value with several symbols decodes to the last one in dictionary order. */
  get byValue(): Map<number, string> {
    if (!this.reverse) {
      this.reverse = new Map();
      for (const [symbol, value] of this.bySymbol) this.reverse.set(value, symbol);
    }
    return this.reverse;
  }

  /** The decoded form of a raw value: its symbol, or "?N" like Klipper when it has none. */
  symbolOf(value: number): string {
    return this.byValue.get(value) ?? `?${value}`;
  }

  /** symbolOf() written as UTF-8 text. */
  renderSymbol(value: number, sink: TextSink): void {
    if (!this.reverseBytes) this.reverseBytes = new Map([...this.byValue].map(([v, s]) => [v, utf8(s)]));
    const b = this.reverseBytes.get(value);
    if (b) sink.bytes(b);
    else {
      sink.byte(0x3f); // ?
      sink.int(value);
    }
  }
}
