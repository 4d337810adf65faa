// One message of a data dictionary: its id, its parameters (name, wire type, enumeration) and how
// Klipper renders it as text. Encodes by name, decodes to objects, and decodes straight to text for
// parsedump without building objects.
import { MESSAGE_PAYLOAD_MAX } from "./constants.ts";
import type { Enumeration } from "./enumeration.ts";
import { ProtocolError } from "./errors.ts";
import { PARAM_TYPES, type ParamType } from "./param-types.ts";
import { pyBytesRepr, TextSink, utf8 } from "./text-sink.ts";
import { Cursor, vlqLength, writeVlq } from "./vlq.ts";

export type ParamValue = number | string | Uint8Array;
export type MessageKind = "command" | "response" | "output";

export interface ParamSpec {
  readonly name: string;
  readonly type: ParamType;
  readonly enumeration: Enumeration | null;
}

// Klipper renders a message by turning every parameter conversion of the format into Python's %s
// (in this order) and applying Python's % operator.
const TO_PY_S = ["%u", "%i", "%hu", "%hi", "%c", "%.*s", "%*s"];

/** A parameter carrying an MCU clock ("clock", "report_clock", ...). */
const isClockParam = (name: string) => name === "clock" || name.endsWith("_clock");

/** Splits a format into the literal text around each %s slot, as Python's % would fill it. */
function textParts(format: string, slots: number, what: string): string[] {
  let py = format;
  for (const c of TO_PY_S) py = py.split(c).join("%s");
  const parts: string[] = [];
  let cur = "";
  for (let i = 0; i < py.length; i++) {
    const ch = py[i]!;
    if (ch !== "%") {
      cur += ch;
      continue;
    }
    const next = py[i + 1];
    if (next === "%") cur += "%";
    else if (next === "s") {
      parts.push(cur);
      cur = "";
    } else throw new ProtocolError(`${what}: unsupported conversion '%${next ?? ""}' in '${format}'`);
    i++;
  }
  parts.push(cur);
  if (parts.length !== slots + 1) {
    throw new ProtocolError(`${what}: '${format}' has ${parts.length - 1} conversions for ${slots} parameters`);
  }
  return parts;
}

function encodeBytesValue(v: ParamValue): Uint8Array | null {
  if (v instanceof Uint8Array) return v;
  if (typeof v === "string") return utf8(v);
  return null;
}

export class MessageFormat {
  readonly name: string;
  readonly idBytes: Uint8Array;
  readonly params: readonly ParamSpec[];
  private readonly byName = new Map<string, ParamSpec>();
  private readonly parts: string[];
  private readonly partBytes: Uint8Array[];
  // Per-format scratch space for encoding (encoding is synchronous, so never shared mid-use).
  private readonly scratchValues: ParamValue[];
  private readonly scratchInts: number[];
  private readonly scratchBytes: (Uint8Array | null)[];
  /** Every parameter a plain integer (no strings, no enumeration): the fast encode path. */
  private readonly plainInts: boolean;

  constructor(
    readonly id: number,
    readonly format: string,
    readonly kind: MessageKind,
    enumerations: readonly Enumeration[],
  ) {
    const id32 = Number.isInteger(id) && id >= -0x80000000 && id <= 0x7fffffff;
    if (!id32) throw new ProtocolError(`message '${format}': id ${id} is not a 32-bit integer`);
    this.idBytes = new Uint8Array(vlqLength(id));
    writeVlq(this.idBytes, 0, id);
    if (kind === "output") {
      this.name = "#output";
      this.params = outputParamTypes(format).map((type, i) => ({ name: String(i), type, enumeration: null }));
    } else {
      const words = format.trim().split(/\s+/);
      this.name = words[0] ?? "";
      if (!this.name) throw new ProtocolError(`message id ${id}: empty format`);
      this.params = words.slice(1).map((word) => {
        const eq = word.indexOf("=");
        const name = word.slice(0, eq);
        const type = eq > 0 ? PARAM_TYPES.get(word.slice(eq + 1)) : undefined;
        if (!type) throw new ProtocolError(`message '${format}': bad parameter '${word}' (expected name=TYPE, TYPE one of ${[...PARAM_TYPES.keys()].join(" ")})`);
        const enumeration = enumerations.find((e) => name === e.name || name.endsWith("_" + e.name)) ?? null;
        return { name, type, enumeration };
      });
      for (const p of this.params) this.byName.set(p.name, p);
    }
    this.parts = textParts(format, this.params.length, kind === "output" ? `output format id ${id}` : this.name);
    this.partBytes = (kind === "output" ? ["#output " + this.parts[0], ...this.parts.slice(1)] : this.parts).map(utf8);
    this.scratchValues = new Array<ParamValue>(this.params.length).fill(0);
    this.scratchInts = new Array<number>(this.params.length).fill(0);
    this.scratchBytes = new Array<Uint8Array | null>(this.params.length).fill(null);
    this.plainInts = kind !== "output" && this.params.every((p) => p.type.isInt && !p.enumeration);
  }

  param(name: string): ParamSpec | undefined {
    return this.byName.get(name);
  }

  /** msgid + parameters, by parameter name; enum parameters take their symbol (or the raw number). */
  encode(values: Record<string, ParamValue>): Uint8Array {
    if (this.kind === "output") throw new ProtocolError(`output format '${this.format}' can not be encoded by name`);
    if (this.plainInts) {
      const out = this.encodePlainInts(values);
      if (out) return out;
    }
    for (const key in values) {
      if (!this.byName.has(key)) throw new ProtocolError(`${this.name}: unknown parameter '${key}' (parameters: ${this.describeParams()})`);
    }
    const ordered = this.scratchValues;
    for (let i = 0; i < this.params.length; i++) ordered[i] = values[this.params[i]!.name]!;
    try {
      return this.encodeValues(ordered);
    } finally {
      ordered.fill(0); // drop references to the caller's buffers
    }
  }

  /**
   * encode() for formats of plain integers (queue_step and most other commands) without the
   * scratch arrays; null when the keys are not exactly the parameters in format order or a value
   * is not an in-range integer, so that the general path handles (or reports) it. Walking the
   * keys with for-in keeps the property reads cheap for the JIT (one key per iteration, no
   * lookup by a varying name).
   */
  private encodePlainInts(values: Record<string, ParamValue>): Uint8Array | null {
    const params = this.params, n = params.length, ints = this.scratchInts, id = this.idBytes;
    let size = id.length, i = 0;
    for (const key in values) {
      if (i >= n) return null;
      const p = params[i]!;
      if (key !== p.name) return null;
      const v = values[key];
      if (typeof v !== "number" || !Number.isInteger(v) || v < p.type.min || v > p.type.max) return null;
      ints[i++] = v;
      size += vlqLength(v);
    }
    if (i !== n || size > MESSAGE_PAYLOAD_MAX) return null;
    const out = new Uint8Array(size);
    let pos = 0;
    for (; pos < id.length; pos++) out[pos] = id[pos]!;
    for (let k = 0; k < n; k++) pos = writeVlq(out, pos, ints[k]!);
    return out;
  }

  /** msgid + parameters in format order. Encoding is a hot path: no allocation but the result. */
  encodeValues(values: readonly ParamValue[]): Uint8Array {
    const n = this.params.length;
    if (values.length !== n) throw new ProtocolError(`${this.name}: expected ${n} parameters, got ${values.length}`);
    const ints = this.scratchInts;
    const strs = this.scratchBytes;
    let size = this.idBytes.length;
    for (let i = 0; i < n; i++) {
      const p = this.params[i]!;
      const v = values[i];
      if (v === undefined) throw new ProtocolError(`${this.name}: missing parameter '${p.name}' (parameters: ${this.describeParams()})`);
      if (p.type.isInt) {
        const x = this.intValue(p, v);
        ints[i] = x;
        size += vlqLength(x);
      } else {
        const b = encodeBytesValue(v);
        if (!b) throw new ProtocolError(`${this.name}: parameter '${p.name}' (${p.type.fmt}) must be bytes or a string, got ${typeof v}`);
        if (b.length > p.type.max) throw new ProtocolError(`${this.name}: parameter '${p.name}' (${p.type.fmt}) is ${b.length} bytes long, allowed 0..${p.type.max}`);
        strs[i] = b;
        size += 1 + b.length;
      }
    }
    if (size > MESSAGE_PAYLOAD_MAX) {
      throw new ProtocolError(`${this.name}: encodes to ${size} bytes, more than the ${MESSAGE_PAYLOAD_MAX} a message block can carry`);
    }
    const out = new Uint8Array(size);
    out.set(this.idBytes, 0);
    let pos = this.idBytes.length;
    for (let i = 0; i < n; i++) {
      if (this.params[i]!.type.isInt) pos = writeVlq(out, pos, ints[i]!);
      else {
        const b = strs[i]!;
        strs[i] = null;
        out[pos++] = b.length;
        out.set(b, pos);
        pos += b.length;
      }
    }
    return out;
  }

  private intValue(p: ParamSpec, v: ParamValue): number {
    if (typeof v === "string") {
      if (!p.enumeration) throw new ProtocolError(`${this.name}: parameter '${p.name}' (${p.type.fmt}) must be an integer, got '${v}'`);
      const e = p.enumeration.bySymbol.get(v);
      if (e === undefined) throw new ProtocolError(`${this.name}: parameter '${p.name}': unknown value '${v}' in enumeration '${p.enumeration.name}'`);
      v = e;
    }
    if (typeof v !== "number" || !Number.isInteger(v)) {
      throw new ProtocolError(`${this.name}: parameter '${p.name}' (${p.type.fmt}) must be an integer, got ${v instanceof Uint8Array ? "bytes" : String(v)}`);
    }
    // MCU clocks are 32 bits and wrap; like Klipper, a 64-bit host clock goes out as its low 32 bits
    if (v > p.type.max && p.type.fmt === "%u" && isClockParam(p.name) && v < 2 ** 53) return v % 2 ** 32;
    if (v < p.type.min || v > p.type.max) {
      throw new ProtocolError(`${this.name}: parameter '${p.name}' (${p.type.fmt}) value ${v} is out of range ${p.type.min}..${p.type.max}`);
    }
    return v;
  }

  private describeParams(): string {
    return this.params.map((p) => `${p.name}=${p.type.fmt}`).join(" ") || "none";
  }

  /** Reads the parameters at cur.pos (just after the msgid). Check cur.overrun afterwards. */
  decode(cur: Cursor): Record<string, ParamValue> {
    const out: Record<string, ParamValue> = {};
    if (this.kind === "output") {
      const sink = new TextSink(256);
      this.render(cur, sink);
      out["#msg"] = sink.toString().slice("#output ".length);
      return out;
    }
    for (const p of this.params) out[p.name] = readParam(cur, p);
    return out;
  }

  /** Reads the parameters at cur.pos and writes the text Klipper prints for the message. */
  render(cur: Cursor, sink: TextSink): void {
    const parts = this.partBytes;
    const params = this.params;
    sink.bytes(parts[0]!);
    for (let i = 0; i < params.length; i++) {
      const p = params[i]!;
      const t = p.type;
      if (!t.isInt) sink.repr(cur.readBytes());
      else {
        const v = t.signed ? cur.readInt() : cur.readUint();
        if (p.enumeration) p.enumeration.renderSymbol(v, sink);
        else sink.int(v);
      }
      sink.bytes(parts[i + 1]!);
    }
  }

  /** Renders decoded parameters (as decode() returns them) the way Klipper prints them. */
  formatParams(values: Record<string, ParamValue>): string {
    if (this.kind === "output") return "#output " + String(values["#msg"]);
    const parts = this.parts;
    let s = parts[0]!;
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i]!;
      const v = values[p.name];
      if (v === undefined) throw new ProtocolError(`${this.name}: missing parameter '${p.name}' to format`);
      s += p.type.isInt ? String(v) : pyBytesRepr(encodeBytesValue(v)!);
      s += parts[i + 1]!;
    }
    return s;
  }
}

function readParam(cur: Cursor, p: ParamSpec): ParamValue {
  const t = p.type;
  if (!t.isInt) return cur.readBytes().slice();
  const v = t.signed ? cur.readInt() : cur.readUint();
  return p.enumeration ? p.enumeration.symbolOf(v) : v;
}

/**
 * Parameter types of a firmware output() format, scanned the way Klipper does: after each '%' that
 * is not followed by another '%', the shortest known conversion starting there.
 */
function outputParamTypes(format: string): ParamType[] {
  const types: ParamType[] = [];
  let rest = format;
  for (;;) {
    const pos = rest.indexOf("%");
    if (pos < 0) return types;
    if (rest[pos + 1] !== "%") {
      let found: ParamType | undefined;
      for (let len = 1; len <= 4 && !found; len++) found = PARAM_TYPES.get(rest.slice(pos, pos + len));
      if (!found) throw new ProtocolError(`invalid output format '${format}'`);
      types.push(found);
    }
    rest = rest.slice(pos + 1);
  }
}
