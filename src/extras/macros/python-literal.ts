// Python literals as Klipper reads them with ast.literal_eval (gcode_macro variable_* options,
// SET_GCODE_VARIABLE, save_variables): numbers, strings, True/False/None, lists, tuples, dicts.
// Values must also be JSON-serialisable, as Klipper checks. Whole floats stay floats (PyFloat)
// so templates print them as Python does ("10.0").
import { PyFloat } from "./python-values.ts";

export class LiteralError extends Error {}

export type PyLiteral = number | PyFloat | string | boolean | null | PyLiteral[] | { [key: string]: PyLiteral };

const SIMPLE_ESCAPES: Record<string, string> = { "\\": "\\", "'": "'", '"': '"', a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\n": "" };

class LiteralParser {
  private i = 0;

  constructor(private readonly src: string) {}

  private syntaxError(): LiteralError {
    return new LiteralError("invalid syntax (<unknown>, line 1)");
  }

  private skipSpace(): void {
    while (this.i < this.src.length) {
      const ch = this.src[this.i]!;
      if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r" || ch === "\f") this.i++;
      else if (ch === "#") while (this.i < this.src.length && this.src[this.i] !== "\n") this.i++;
      else break;
    }
  }

  private peek(): string {
    this.skipSpace();
    return this.src[this.i] ?? "";
  }

  parseAll(): PyLiteral {
    let v = this.parseValue();
    if (this.peek() === ",") v = this.parseSequenceRest(v, "");
    if (this.peek() !== "") throw this.syntaxError();
    return v;
  }

  /** After the first item and a ',' of a bare or bracketed sequence. */
  private parseSequenceRest(first: PyLiteral, close: string): PyLiteral[] {
    const items = [first];
    while (this.peek() === ",") {
      this.i++;
      const next = this.peek();
      if (next === close || next === "") break;
      items.push(this.parseValue());
    }
    return items;
  }

  private parseValue(): PyLiteral {
    const ch = this.peek();
    if (ch === "[") return this.parseList("]");
    if (ch === "(") return this.parseTuple();
    if (ch === "{") return this.parseDict();
    if (ch === "-" || ch === "+") {
      this.i++;
      const v = this.parseValue();
      if (typeof v === "number") return ch === "-" ? -v : v;
      if (v instanceof PyFloat) return new PyFloat(ch === "-" ? -v.value : v.value);
      throw new LiteralError(`malformed node or string: bad operand for unary ${ch}`);
    }
    if (/[0-9.]/.test(ch)) return this.parseNumber();
    if (/[A-Za-z_]/.test(ch)) {
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.i))![0];
      const next = this.src[this.i + word.length];
      if (/^[rRbBuUfF]{1,2}$/.test(word) && (next === "'" || next === '"')) return this.parseStrings();
      this.i += word.length;
      if (word === "True") return true;
      if (word === "False") return false;
      if (word === "None") return null;
      throw new LiteralError(`malformed node or string: name '${word}'`);
    }
    if (ch === "'" || ch === '"') return this.parseStrings();
    throw this.syntaxError();
  }

  private parseList(close: string): PyLiteral[] {
    this.i++; // the opening bracket
    if (this.peek() === close) {
      this.i++;
      return [];
    }
    const items = this.parseSequenceRest(this.parseValue(), close);
    if (this.peek() !== close) throw this.syntaxError();
    this.i++;
    return items;
  }

  private parseTuple(): PyLiteral {
    this.i++;
    if (this.peek() === ")") {
      this.i++;
      return [];
    }
    const first = this.parseValue();
    if (this.peek() === ")") {
      this.i++;
      return first; // parenthesised value, not a tuple
    }
    const items = this.parseSequenceRest(first, ")");
    if (this.peek() !== ")") throw this.syntaxError();
    this.i++;
    return items;
  }

  private parseDict(): PyLiteral {
    this.i++;
    const out: Record<string, PyLiteral> = {};
    if (this.peek() === "}") {
      this.i++;
      return out;
    }
    for (;;) {
      const key = this.parseValue();
      if (this.peek() !== ":") {
        // {a, b} is a set: a literal, but not one JSON can hold
        throw new LiteralError("Object of type set is not JSON serializable");
      }
      this.i++;
      const value = this.parseValue();
      if (key !== null && typeof key === "object" && !(key instanceof PyFloat)) throw new LiteralError("unhashable type: 'list'");
      setOwn(out, jsonKey(key), value);
      if (this.peek() !== ",") break;
      this.i++;
      if (this.peek() === "}") break;
    }
    if (this.peek() !== "}") throw this.syntaxError();
    this.i++;
    return out;
  }

  private parseNumber(): PyLiteral {
    const rest = this.src.slice(this.i);
    const m =
      /^0[xX](?:_?[0-9a-fA-F])+|^0[oO](?:_?[0-7])+|^0[bB](?:_?[01])+|^(?:\d(?:_?\d)*)?(?:\.(?:\d(?:_?\d)*)?)?(?:[eE][+-]?\d(?:_?\d)*)?[jJ]?/.exec(rest);
    const text = m?.[0] ?? "";
    if (!text || text === "." || /^[eE]/.test(text)) throw this.syntaxError();
    this.i += text.length;
    if (/[A-Za-z0-9_]/.test(this.src[this.i] ?? "")) throw this.syntaxError();
    const t = text.replace(/_/g, "");
    if (/[jJ]$/.test(t)) throw new LiteralError("Object of type complex is not JSON serializable");
    if (/^0[xXoObB]/.test(t)) return Number.parseInt(t.slice(2), { x: 16, o: 8, b: 2 }[t[1]!.toLowerCase() as "x" | "o" | "b"]);
    if (/[.eE]/.test(t)) {
      const v = Number(t);
      return Number.isInteger(v) ? new PyFloat(v) : v;
    }
    if (/^0\d/.test(t) && /[1-9]/.test(t)) throw new LiteralError("leading zeros in decimal integer literals are not permitted");
    return Number(t);
  }

  /** One or more adjacent string literals (Python joins them). */
  private parseStrings(): string {
    let out = "";
    let bytes = false;
    while (/^[rRbBuUfF]{0,2}['"]/.test(this.src.slice(this.i, this.i + 3)) && this.peek() !== "") {
      const prefix = /^[rRbBuUfF]{0,2}/.exec(this.src.slice(this.i))![0].toLowerCase();
      if (prefix.includes("f")) throw new LiteralError("malformed node or string: f-string");
      bytes ||= prefix.includes("b");
      this.i += prefix.length;
      out += this.parseString(prefix.includes("r"));
      this.skipSpace();
    }
    if (bytes) throw new LiteralError("Object of type bytes is not JSON serializable");
    return out;
  }

  private parseString(raw: boolean): string {
    const quote = this.src.startsWith(this.src[this.i]!.repeat(3), this.i) ? this.src[this.i]!.repeat(3) : this.src[this.i]!;
    this.i += quote.length;
    let out = "";
    for (;;) {
      if (this.i >= this.src.length) throw new LiteralError("unterminated string literal (detected at line 1)");
      if (this.src.startsWith(quote, this.i)) {
        this.i += quote.length;
        return out;
      }
      const ch = this.src[this.i++]!;
      if (ch === "\n" && quote.length === 1) throw new LiteralError("unterminated string literal (detected at line 1)");
      if (ch !== "\\" || raw) {
        out += ch;
        if (ch === "\\" && raw && this.i < this.src.length) out += this.src[this.i++];
        continue;
      }
      const esc = this.src[this.i++] ?? "";
      const simple = SIMPLE_ESCAPES[esc];
      if (simple !== undefined) out += simple;
      else if (esc === "x" || esc === "u" || esc === "U") {
        const len = { x: 2, u: 4, U: 8 }[esc];
        const hex = this.src.slice(this.i, this.i + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw new LiteralError(`(unicode error) truncated \\${esc} escape`);
        out += String.fromCodePoint(Number.parseInt(hex, 16));
        this.i += len;
      } else if (/[0-7]/.test(esc)) {
        const oct = esc + (/^[0-7]{0,2}/.exec(this.src.slice(this.i))![0] ?? "");
        this.i += oct.length - 1;
        out += String.fromCharCode(Number.parseInt(oct, 8));
      } else out += `\\${esc}`;
    }
  }
}

/** obj[key] = value as an own property, whatever the key ("__proto__" included). */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** JSON turns dict keys into strings the way json.dumps does. */
function jsonKey(key: PyLiteral): string {
  if (typeof key === "string") return key;
  if (key === null) return "null";
  if (typeof key === "boolean") return key ? "true" : "false";
  if (key instanceof PyFloat) return `${key.value}.0`;
  return String(key);
}

/** Python's ast.literal_eval of `text` (JSON-serialisable results only). */
export function parsePyLiteral(text: string): PyLiteral {
  return new LiteralParser(text.trim()).parseAll();
}
