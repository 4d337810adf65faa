// A firmware data dictionary: the message formats, enumerations and constants an MCU reports in its
// identify data. Encodes commands by name or from klippy-style text and decodes messages by id.
import { MESSAGE_HEADER_SIZE, MESSAGE_TRAILER_SIZE } from "./constants.ts";
import { Enumeration } from "./enumeration.ts";
import { ProtocolError } from "./errors.ts";
import { MessageFormat, type MessageKind, type ParamValue } from "./message-format.ts";
import { pyBytesRepr, type TextSink } from "./text-sink.ts";
import { Cursor } from "./vlq.ts";

export interface DecodedMessage {
  name: string;
  params: Record<string, ParamValue>;
}

/** The two messages every firmware knows before its dictionary has been read. */
const BOOTSTRAP = {
  commands: { "identify offset=%u count=%c": 1 },
  responses: { "identify_response offset=%u data=%.*s": 0 },
};

type Json = Record<string, unknown>;

const UNKNOWN_PREFIX = new TextEncoder().encode("#unknown ");

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function section(json: Json, key: string): Json {
  const v = json[key];
  if (v === undefined) return {};
  if (!isObject(v)) throw new ProtocolError(`data dictionary: '${key}' must be an object`);
  return v;
}

export class DataDictionary {
  readonly version: string;
  readonly buildVersions: string;
  readonly constants: Record<string, number | string>;
  readonly enumerations: ReadonlyMap<string, Enumeration>;
  /** Every message, in dictionary order. */
  readonly messages: readonly MessageFormat[];
  private readonly byId = new Map<number, MessageFormat>();
  private readonly commands = new Map<string, MessageFormat>();
  private readonly responses = new Map<string, MessageFormat>();

  private constructor(readonly json: unknown) {
    if (!isObject(json)) throw new ProtocolError("data dictionary: not a JSON object");
    const enums: Enumeration[] = [];
    for (const [name, entries] of Object.entries(section(json, "enumerations"))) {
      if (!isObject(entries)) throw new ProtocolError(`data dictionary: enumeration '${name}' must be an object`);
      const e = new Enumeration(name);
      for (const [symbol, value] of Object.entries(entries)) e.add(symbol, value);
      enums.push(e);
    }
    this.enumerations = new Map(enums.map((e) => [e.name, e]));
    const messages: MessageFormat[] = [];
    const add = (key: string, kind: MessageKind, byName: Map<string, MessageFormat> | null) => {
      for (const [format, id] of Object.entries(section(json, key))) {
        if (typeof id !== "number") throw new ProtocolError(`data dictionary: '${key}' entry '${format}' has a non-numeric id`);
        const m = new MessageFormat(id, format, kind, enums);
        messages.push(m);
        this.byId.set(id, m);
        byName?.set(m.name, m);
      }
    };
    add("commands", "command", this.commands);
    add("responses", "response", this.responses);
    add("output", "output", null);
    if (!this.commands.size && !this.responses.size) throw new ProtocolError("data dictionary: no commands or responses");
    this.messages = messages;
    const config = section(json, "config");
    this.constants = {};
    for (const [k, v] of Object.entries(config)) {
      if (typeof v !== "number" && typeof v !== "string") throw new ProtocolError(`data dictionary: constant '${k}' must be a number or string`);
      this.constants[k] = v;
    }
    this.version = typeof json.version === "string" ? json.version : "";
    this.buildVersions = typeof json.build_versions === "string" ? json.build_versions : "";
  }

  /** A plain `.dict` file (klipper.dict of a firmware build). */
  static fromJson(text: string): DataDictionary {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new ProtocolError(`data dictionary: invalid JSON: ${(e as Error).message}`);
    }
    return new DataDictionary(json);
  }

  /** The zlib-compressed JSON an MCU returns through identify_response. */
  static fromZlib(data: Uint8Array): DataDictionary {
    let text: string;
    try {
      // node:zlib only when needed: loading it costs batch runs and the CLI ~10 ms at startup
      const { inflateSync } = require("node:zlib") as typeof import("node:zlib");
      text = new TextDecoder().decode(inflateSync(data));
    } catch (e) {
      throw new ProtocolError(`data dictionary: identify data is not valid zlib: ${(e as Error).message}`);
    }
    return DataDictionary.fromJson(text);
  }

  static bootstrap(): DataDictionary {
    return new DataDictionary(BOOTSTRAP);
  }

  get clockFreq(): number {
    const f = this.constants.CLOCK_FREQ;
    if (typeof f !== "number") throw new ProtocolError("data dictionary has no numeric CLOCK_FREQ constant");
    return f;
  }

  hasCommand(name: string): boolean {
    return this.commands.has(name);
  }

  hasResponse(name: string): boolean {
    return this.responses.has(name);
  }

  command(name: string): MessageFormat {
    const m = this.commands.get(name);
    if (!m) throw new ProtocolError(`unknown command '${name}' (not in data dictionary ${this.version || "(no version)"})`);
    return m;
  }

  response(name: string): MessageFormat {
    const m = this.responses.get(name);
    if (!m) throw new ProtocolError(`unknown response '${name}' (not in data dictionary ${this.version || "(no version)"})`);
    return m;
  }

  commandId(name: string): number {
    return this.command(name).id;
  }

  responseId(name: string): number {
    return this.response(name).id;
  }

  messageById(id: number): MessageFormat | undefined {
    return this.byId.get(id);
  }

  encodeCommand(name: string, params: Record<string, ParamValue>): Uint8Array {
    return this.command(name).encode(params);
  }

  /** Encodes a response (what an MCU sends), for virtual MCUs and tests. */
  encodeResponse(name: string, params: Record<string, ParamValue>): Uint8Array {
    return this.response(name).encode(params);
  }

  /**
   * A klippy-style command line "name key=value ...": integers in Python literal syntax (12, -1,
   * 0x1f), enumeration symbols by name (pin=PA1), strings and buffers as hex digits (data=0a0b).
   */
  encodeCommandText(line: string): Uint8Array {
    const words = line.trim().split(/\s+/);
    const name = words[0];
    if (!name) throw new ProtocolError("empty command line");
    const m = this.command(name);
    const params: Record<string, ParamValue> = {};
    for (const word of words.slice(1)) {
      const eq = word.indexOf("=");
      if (eq <= 0) throw new ProtocolError(`${name}: expected key=value, got '${word}' in '${line.trim()}'`);
      const key = word.slice(0, eq);
      const text = word.slice(eq + 1);
      const p = m.param(key);
      if (!p) throw new ProtocolError(`${name}: unknown parameter '${key}' in '${line.trim()}'`);
      if (key in params) throw new ProtocolError(`${name}: parameter '${key}' given twice in '${line.trim()}'`);
      if (!p.type.isInt) params[key] = parseHexBuffer(name, key, text);
      else if (p.enumeration) params[key] = text;
      else params[key] = parsePythonInt(name, key, text);
    }
    return m.encode(params);
  }

  /**
   * All messages of a block payload (the bytes between the sequence byte and the CRC). An id the
   * dictionary lacks ends the block as "#unknown" with the remaining bytes, as Klipper does.
   */
  decodeMessages(payload: Uint8Array): DecodedMessage[] {
    const out: DecodedMessage[] = [];
    const cur = new Cursor(payload, 0, payload.length);
    while (cur.pos < payload.length) {
      const start = cur.pos;
      const id = cur.readInt();
      const m = cur.overrun ? undefined : this.byId.get(id);
      if (!m) {
        out.push({ name: "#unknown", params: { "#msgid": id, "#msg": payload.slice(start) } });
        break;
      }
      const params = m.decode(cur);
      if (cur.pos > payload.length) {
        throw new ProtocolError(`${m.name}: message truncated (needs ${cur.pos - start} bytes, ${payload.length - start} left in the payload)`);
      }
      out.push({ name: m.name, params });
    }
    return out;
  }

  /** One message as Klipper's parsedump prints it. */
  formatMessage(msg: DecodedMessage): string {
    if (msg.name === "#output") return `#output ${String(msg.params["#msg"])}`;
    if (msg.name === "#unknown") {
      const raw = msg.params["#msg"];
      return `#unknown ${pyBytesRepr(raw instanceof Uint8Array ? raw : new Uint8Array())}`;
    }
    const m = this.commands.get(msg.name) ?? this.responses.get(msg.name);
    if (!m) throw new ProtocolError(`unknown message '${msg.name}'`);
    return m.formatParams(msg.params);
  }

  /**
   * Writes the text lines of one whole block (length byte through sync byte) exactly as Klipper's
   * parsedump prints them; like Klipper, parameters may read into the trailer bytes. Returns false,
   * with the sink as it was before, when a message runs past the end of the block (where Klipper's
   * tool would crash).
   */
  dumpBlock(block: Uint8Array, sink: TextSink, cur: Cursor = new Cursor(block, 0, block.length)): boolean {
    cur.buf = block;
    cur.end = block.length;
    cur.overrun = false;
    const mark = sink.pos;
    const stop = block.length - MESSAGE_TRAILER_SIZE;
    let pos = MESSAGE_HEADER_SIZE;
    for (;;) {
      cur.pos = pos;
      const m = this.byId.get(cur.readInt());
      if (cur.overrun) break;
      if (!m) {
        sink.bytes(UNKNOWN_PREFIX);
        sink.repr(block);
        sink.byte(0x0a);
        return true;
      }
      cur.pos = pos + m.idBytes.length; // Klipper skips the canonical id length, not what it read
      m.render(cur, sink);
      sink.byte(0x0a);
      if (cur.overrun) break;
      pos = cur.pos;
      if (pos >= stop) return true;
    }
    sink.pos = mark;
    return false;
  }

  enumValue(enumName: string, symbol: string): number {
    const e = this.enumerations.get(enumName);
    if (!e) throw new ProtocolError(`unknown enumeration '${enumName}'`);
    const v = e.bySymbol.get(symbol);
    if (v === undefined) throw new ProtocolError(`unknown value '${symbol}' in enumeration '${enumName}'`);
    return v;
  }

  getConstant(name: string): number | string {
    const v = this.constants[name];
    if (v === undefined) throw new ProtocolError(`firmware constant '${name}' not found`);
    return v;
  }
}

/** Python's int(text, 0): decimal without leading zeros, 0x/0o/0b prefixes, optional sign, '_' separators. */
function parsePythonInt(cmd: string, key: string, text: string): number {
  const m = /^([+-]?)(?:(0[xX](?:_?[0-9a-fA-F])+)|(0[oO](?:_?[0-7])+)|(0[bB](?:_?[01])+)|([1-9](?:_?[0-9])*|0+(?:_?0)*))$/.exec(text);
  if (!m) throw new ProtocolError(`${cmd}: parameter '${key}' must be an integer, got '${text}'`);
  const digits = (m[2] ?? m[3] ?? m[4] ?? m[5])!.replace(/_/g, "");
  const base = m[2] ? 16 : m[3] ? 8 : m[4] ? 2 : 10;
  const v = base === 10 ? Number(digits) : Number.parseInt(digits.slice(2), base);
  return m[1] === "-" ? -v : v;
}

/** klippy's buffer syntax: hex digits, two per byte ("" is empty). */
function parseHexBuffer(cmd: string, key: string, text: string): Uint8Array {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new ProtocolError(`${cmd}: parameter '${key}' must be hex bytes (two digits per byte), got '${text}'`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}
