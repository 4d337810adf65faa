// Python string formatting for templates: the `"%.2f" % x` operator and str.format(), which
// Klipper macros use all the time and which the template engine lacks. Errors carry Python's
// exception type and wording ("TypeError: not enough arguments for format string").
import { pyFloat, pyRepr } from "../../core/config/pyformat.ts";
import { isDict, isList, pyReprOf, pyStr, type RuntimeValue, rvStr } from "./python-values.ts";

/** An error a Python expression would raise (type name as in Python: TypeError, ValueError, ...). */
export class PyError extends Error {
  constructor(
    readonly pyType: string,
    message: string,
  ) {
    super(message);
    this.name = pyType;
  }
}

const typeName = (v: RuntimeValue): string =>
  ({
    StringValue: "str",
    IntegerValue: "int",
    FloatValue: "float",
    BooleanValue: "bool",
    NullValue: "NoneType",
    UndefinedValue: "Undefined",
    ArrayValue: "list",
    TupleValue: "tuple",
    ObjectValue: "dict",
  })[v.type] ?? v.type;

interface Spec {
  fill: string;
  align: "<" | ">" | "^" | "=" | "";
  sign: "+" | "-" | " " | "";
  alt: boolean;
  zero: boolean;
  width: number;
  grouping: boolean;
  precision: number | null;
  type: string;
}

function numberOf(v: RuntimeValue, conv: string): number {
  if (v.type === "IntegerValue" || v.type === "FloatValue") return v.value;
  if (v.type === "BooleanValue") return v.value ? 1 : 0;
  throw new PyError("TypeError", "fFeEgG".includes(conv) ? `must be real number, not ${typeName(v)}` : `%${conv} format: a real number is required, not ${typeName(v)}`);
}

/** x (>= 0) with `digits` decimals, correctly rounded with exact ties to even (as C's printf
 * and Python do; toFixed breaks ties upwards). */
export function toFixedEven(x: number, digits: number): string {
  const plain = x.toFixed(digits);
  if (x >= 1e21 || digits > 99) return plain;
  const exact = x.toFixed(100);
  const point = exact.indexOf(".");
  if (!/^50*$/.test(exact.slice(point + 1 + digits))) return plain;
  const kept = exact.slice(0, digits ? point + 1 + digits : point);
  return Number(kept.at(-1)) % 2 === 0 ? kept : plain;
}

function expForm(x: number, digits: number, upper: boolean): string {
  const [m, e] = x.toExponential(digits).split("e") as [string, string];
  const exp = Number(e);
  const s = `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  return upper ? s.toUpperCase() : s;
}

/** Python's %g / {:g}: shortest of fixed and exponent forms with `precision` significant digits. */
function generalForm(x: number, precision: number, alt: boolean, upper: boolean): string {
  const p = precision === 0 ? 1 : precision;
  const exp = Number(x.toExponential(p - 1).split("e")[1]);
  let s = exp >= -4 && exp < p ? toFixedEven(x, Math.max(0, p - 1 - exp)) : expForm(x, p - 1, upper);
  if (!alt) s = s.replace(/\.?0+(?=e|E|$)/, (m) => (m.startsWith(".") || s.includes(".") ? "" : m));
  return s;
}

function specialFloat(x: number, upper: boolean): string | null {
  if (Number.isNaN(x)) return upper ? "NAN" : "nan";
  if (!Number.isFinite(x)) return upper ? "INF" : "inf";
  return null;
}

/** Digits (without sign) of a number under a conversion type. */
function formatDigits(x: number, type: string, precision: number | null, alt: boolean): string {
  const ax = Math.abs(x);
  const upper = type === type.toUpperCase();
  if ("fFeEgG%".includes(type)) {
    const special = specialFloat(ax, upper);
    if (special) return special;
  }
  switch (type) {
    case "d":
    case "i":
    case "u":
    case "n":
      return BigInt(Math.trunc(ax)).toString();
    case "f":
    case "F":
      return toFixedEven(ax, precision ?? 6);
    case "e":
    case "E":
      return expForm(ax, precision ?? 6, upper);
    case "g":
    case "G":
      return generalForm(ax, precision ?? 6, alt, upper);
    case "%":
      return `${toFixedEven(ax * 100, precision ?? 6)}%`;
    case "x":
    case "X": {
      const s = Math.trunc(ax).toString(16);
      return `${alt ? (upper ? "0X" : "0x") : ""}${upper ? s.toUpperCase() : s}`;
    }
    case "o":
      return `${alt ? "0o" : ""}${Math.trunc(ax).toString(8)}`;
    case "b":
      return `${alt ? "0b" : ""}${Math.trunc(ax).toString(2)}`;
    default:
      throw new PyError("ValueError", `Unknown format code '${type}'`);
  }
}

function pad(body: string, signText: string, spec: Spec, numeric: boolean): string {
  const len = body.length + signText.length;
  if (len >= spec.width) return signText + body;
  const n = spec.width - len;
  const align = spec.align || (spec.zero && numeric ? "=" : numeric ? ">" : "<");
  const fill = spec.align ? spec.fill : spec.zero && numeric ? "0" : " ";
  if (align === "=") return signText + fill.repeat(n) + body;
  if (align === ">") return fill.repeat(n) + signText + body;
  if (align === "^") return fill.repeat(Math.floor(n / 2)) + signText + body + fill.repeat(n - Math.floor(n / 2));
  return signText + body + fill.repeat(n);
}

function formatNumber(v: RuntimeValue, spec: Spec, conv: string): string {
  const x = numberOf(v, conv);
  let digits = formatDigits(x, spec.type, spec.precision, spec.alt);
  if (spec.grouping) digits = digits.replace(/^\d+/, (d) => d.replace(/\B(?=(\d{3})+(?!\d))/g, ","));
  const negative = x < 0 || Object.is(x, -0);
  const signText = negative ? "-" : spec.sign === "+" ? "+" : spec.sign === " " ? " " : "";
  return pad(digits, signText, spec, true);
}

// ---- the % operator ----

const PERCENT_RE = /%(?:\(([^)]*)\))?([-+ 0#]*)(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.?)/y;

/** Python's `fmt % arg` for a str left operand. */
export function percentFormat(fmt: string, arg: RuntimeValue): string {
  const mapping = isDict(arg) ? (arg.value as Map<string, RuntimeValue>) : null;
  const args = arg.type === "TupleValue" ? (arg.value as RuntimeValue[]) : [arg];
  let next = 0;
  let usedMapping = false;
  const take = (): RuntimeValue => {
    if (next >= args.length) throw new PyError("TypeError", "not enough arguments for format string");
    return args[next++]!;
  };
  let out = "";
  let i = 0;
  while (i < fmt.length) {
    const pct = fmt.indexOf("%", i);
    if (pct < 0) {
      out += fmt.slice(i);
      break;
    }
    out += fmt.slice(i, pct);
    PERCENT_RE.lastIndex = pct;
    const m = PERCENT_RE.exec(fmt)!;
    const [whole, key, flags = "", widthText, precText, conv = ""] = m;
    i = pct + whole.length;
    if (conv === "") throw new PyError("ValueError", "incomplete format");
    if (conv === "%") {
      out += "%";
      continue;
    }
    let value: RuntimeValue;
    if (key !== undefined) {
      if (!mapping) throw new PyError("TypeError", "format requires a mapping");
      usedMapping = true;
      const found = mapping.get(key);
      if (!found) throw new PyError("KeyError", pyRepr(key));
      value = found;
    }
    const width = widthText === "*" ? numberOf(take(), "d") : widthText ? Number(widthText) : 0;
    const precision = precText === "*" ? numberOf(take(), "d") : precText !== undefined ? Number(precText) : null;
    value ??= take();
    const spec: Spec = {
      fill: " ",
      align: flags.includes("-") ? "<" : "",
      sign: flags.includes("+") ? "+" : flags.includes(" ") ? " " : "",
      alt: flags.includes("#"),
      zero: flags.includes("0") && !flags.includes("-"),
      width: Math.abs(width),
      grouping: false,
      precision,
      type: conv === "i" || conv === "u" ? "d" : conv,
    };
    if (conv === "s" || conv === "r" || conv === "a") {
      let s = conv === "s" ? pyStr(value) : pyReprOf(value);
      if (precision !== null) s = s.slice(0, precision);
      out += pad(s, "", { ...spec, zero: false, align: spec.align || ">" }, false);
    } else if (conv === "c") {
      const s = value.type === "StringValue" ? value.value : String.fromCodePoint(numberOf(value, "c"));
      out += pad(s, "", { ...spec, zero: false, align: spec.align || ">" }, false);
    } else if ("diouxXeEfFgG".includes(conv)) {
      if ("xXo".includes(conv) && value.type === "FloatValue")
        throw new PyError("TypeError", `%${conv} format: an integer is required, not float`);
      out += formatNumber(value, spec, conv);
    } else {
      throw new PyError("ValueError", `unsupported format character '${conv}' (0x${conv.charCodeAt(0).toString(16)}) at index ${i - 1}`);
    }
  }
  if (!usedMapping && !mapping && next < args.length) throw new PyError("TypeError", "not all arguments converted during string formatting");
  return out;
}

// ---- str.format ----

const SPEC_RE = /^(?:(.)?([<>=^]))?([-+ ])?(#)?(0)?(\d+)?(,)?(?:\.(\d+))?([a-zA-Z%])?$/s;

function parseSpec(text: string): Spec {
  const m = SPEC_RE.exec(text);
  if (!m) throw new PyError("ValueError", "Invalid format specifier");
  return {
    fill: m[1] ?? " ",
    align: (m[2] ?? "") as Spec["align"],
    sign: (m[3] ?? "") as Spec["sign"],
    alt: m[4] !== undefined,
    zero: m[5] !== undefined,
    width: m[6] ? Number(m[6]) : 0,
    grouping: m[7] !== undefined,
    precision: m[8] !== undefined ? Number(m[8]) : null,
    type: m[9] ?? "",
  };
}

function formatField(v: RuntimeValue, specText: string): string {
  const spec = parseSpec(specText);
  const numeric = v.type === "IntegerValue" || v.type === "FloatValue" || v.type === "BooleanValue";
  if (!numeric || spec.type === "s") {
    if (spec.type !== "" && spec.type !== "s") throw new PyError("ValueError", `Unknown format code '${spec.type}' for object of type '${typeName(v)}'`);
    let s = pyStr(v);
    if (spec.precision !== null) s = s.slice(0, spec.precision);
    return pad(s, "", { ...spec, zero: false }, false);
  }
  if (spec.type === "") {
    if (v.type === "FloatValue" && spec.precision !== null) return formatNumber(v, { ...spec, type: "g" }, "g");
    const x = v.type === "BooleanValue" && !spec.width ? null : v.value;
    let body = x === null ? pyStr(v) : v.type === "FloatValue" ? pyFloat(Math.abs(x)) : String(Math.abs(Number(x)));
    if (spec.grouping) body = body.replace(/^\d+/, (d) => d.replace(/\B(?=(\d{3})+(?!\d))/g, ","));
    const signText = Number(v.value) < 0 ? "-" : spec.sign === "+" ? "+" : spec.sign === " " ? " " : "";
    return pad(body, signText, spec, true);
  }
  if ("dxXob".includes(spec.type) && v.type === "FloatValue")
    throw new PyError("ValueError", `Unknown format code '${spec.type}' for object of type 'float'`);
  return formatNumber(v, spec, spec.type);
}

function lookupField(name: string, args: RuntimeValue[], kwargs: Map<string, RuntimeValue>, auto: { next: number }): RuntimeValue {
  const [, head = "", rest = ""] = /^([^.[]*)(.*)$/s.exec(name)!;
  const index = head === "" ? auto.next++ : /^\d+$/.test(head) ? Number(head) : null;
  const found = index === null ? kwargs.get(head) : args[index];
  if (!found) throw index === null ? new PyError("KeyError", `'${head}'`) : new PyError("IndexError", `Replacement index ${index} out of range for positional args tuple`);
  let v: RuntimeValue = found;
  for (const [, attr, item] of rest.matchAll(/\.([^.[]+)|\[([^\]]+)\]/g)) {
    const key = attr ?? item!;
    const next: RuntimeValue | undefined = isList(v) && /^\d+$/.test(key) ? (v.value as RuntimeValue[])[Number(key)] : isDict(v) ? (v.value as Map<string, RuntimeValue>).get(key) : undefined;
    if (!next) throw new PyError(attr ? "AttributeError" : "KeyError", attr ? `'${typeName(v)}' object has no attribute '${key}'` : `'${key}'`);
    v = next;
  }
  return v;
}

/** Python's str.format(*args, **kwargs). */
export function strFormat(fmt: string, args: RuntimeValue[], kwargs: Map<string, RuntimeValue>): string {
  let out = "";
  const auto = { next: 0 };
  let i = 0;
  while (i < fmt.length) {
    const ch = fmt[i]!;
    if (ch === "}") {
      if (fmt[i + 1] !== "}") throw new PyError("ValueError", "Single '}' encountered in format string");
      out += "}";
      i += 2;
      continue;
    }
    if (ch !== "{") {
      out += ch;
      i++;
      continue;
    }
    if (fmt[i + 1] === "{") {
      out += "{";
      i += 2;
      continue;
    }
    const end = fmt.indexOf("}", i);
    if (end < 0) throw new PyError("ValueError", "Single '{' encountered in format string");
    const field = fmt.slice(i + 1, end);
    i = end + 1;
    const [, name = "", conv, spec = ""] = /^([^!:]*)(?:!([rsa]))?(?::(.*))?$/s.exec(field) ?? [];
    let v = lookupField(name, args, kwargs, auto);
    if (conv === "r" || conv === "a") v = rvStr(pyReprOf(v));
    else if (conv === "s") v = rvStr(pyStr(v));
    out += formatField(v, spec);
  }
  return out;
}
