// Jinja2 filters whose engine versions differ from Python's in ways macros notice (`|round` on
// floats, `|int` truncating, `|float` of an int giving 210.0, `|format`, `|lower` of a bool,
// `|join` of a dict, ...). Each takes evaluated runtime values.
import { parsePyFloat } from "../../core/config/pyformat.ts";
import { percentFormat, PyError, toFixedEven } from "./python-format.ts";
import { isList, isNumber, pyEquals, pyStr, pyTruthy, type RuntimeValue, rvBool, rvFloat, rvInt, rvList, rvStr, rvTuple, toRuntime } from "./python-values.ts";

export type Filter = (operand: RuntimeValue, args: RuntimeValue[], kwargs: Map<string, RuntimeValue>) => RuntimeValue;

/** Argument `name` given at `index` or by keyword. */
export function arg(args: RuntimeValue[], kwargs: Map<string, RuntimeValue>, index: number, name: string): RuntimeValue | undefined {
  return args[index] ?? kwargs.get(name);
}

/** Python int(text, base) for a str; null where Python raises. */
function parseIntText(text: string, base: number): number | null {
  let t = text.trim().replace(/_/g, "").toLowerCase();
  let sign = 1;
  if (t.startsWith("-") || t.startsWith("+")) {
    if (t[0] === "-") sign = -1;
    t = t.slice(1);
  }
  const prefixes: Record<string, number> = { "0x": 16, "0o": 8, "0b": 2 };
  const prefixBase = prefixes[t.slice(0, 2)];
  if (prefixBase !== undefined && (base === prefixBase || base === 0)) {
    t = t.slice(2);
    base = prefixBase;
  }
  if (base === 0) base = 10;
  const digits = "0123456789abcdefghijklmnopqrstuvwxyz".slice(0, base);
  if (!t || [...t].some((c) => !digits.includes(c))) return null;
  return sign * Number.parseInt(t, base);
}

/** Python's round(x, ndigits) for floats: correctly rounded, exact ties to the even digit. */
export function pyRound(x: number, ndigits: number): number {
  if (!Number.isFinite(x)) return x;
  if (ndigits < 0) return pyRound(x / 10 ** -ndigits, 0) * 10 ** -ndigits;
  const r = Number(toFixedEven(Math.abs(x), Math.min(ndigits, 99)));
  return x < 0 ? -r : r;
}

function compareValues(a: RuntimeValue, b: RuntimeValue, caseSensitive: boolean): number {
  const key = (v: RuntimeValue) => (v.type === "StringValue" && !caseSensitive ? v.value.toLowerCase() : v.value);
  const x = key(a);
  const y = key(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function attributeOf(v: RuntimeValue, attribute: RuntimeValue | undefined): RuntimeValue {
  if (!attribute) return v;
  let cur = v;
  for (const part of String(attribute.value).split(".")) {
    const next = cur.type === "ObjectValue" ? (cur.value as Map<string, RuntimeValue>).get(part) : isList(cur) ? cur.value[Number(part)] : undefined;
    if (!next) throw new PyError("jinja2.exceptions.UndefinedError", `'${pyStr(cur)}' has no attribute '${part}'`);
    cur = next;
  }
  return cur;
}

/** The items Python iterates over in `v` (a dict's keys, a str's characters). */
export function items(v: RuntimeValue): RuntimeValue[] {
  if (isList(v)) return v.value;
  if (v.type === "StringValue") return [...v.value].map((c) => rvStr(c));
  if (v.type === "ObjectValue") return [...(v.value as Map<string, RuntimeValue>).keys()].map((k) => rvStr(k));
  throw new PyError("TypeError", `'${v.type}' object is not iterable`);
}

function extreme(sign: 1 | -1): Filter {
  return (operand, args, kwargs) => {
    const list = items(operand);
    const caseSensitive = pyTruthy(arg(args, kwargs, 0, "case_sensitive") ?? rvBool(false));
    const attribute = arg(args, kwargs, 1, "attribute");
    let best: RuntimeValue | undefined;
    for (const v of list) if (!best || sign * compareValues(attributeOf(v, attribute), attributeOf(best, attribute), caseSensitive) > 0) best = v;
    return best ?? rvStr("");
  };
}

const numberResult = (n: number, float: boolean): RuntimeValue => (float ? rvFloat(n) : rvInt(n));

export const EXTRA_FILTERS: Record<string, Filter> = {
  int(operand, args, kwargs) {
    const def = arg(args, kwargs, 0, "default") ?? rvInt(0);
    const base = Number(arg(args, kwargs, 1, "base")?.value ?? 10);
    if (isNumber(operand) || operand.type === "BooleanValue") return rvInt(Math.trunc(Number(operand.value)));
    if (operand.type !== "StringValue") return def;
    const n = parseIntText(operand.value, base) ?? (base === 10 ? parsePyFloat(operand.value) : null);
    return n === null || !Number.isFinite(n) ? def : rvInt(Math.trunc(n));
  },
  float(operand, args, kwargs) {
    const def = arg(args, kwargs, 0, "default") ?? rvFloat(0);
    if (isNumber(operand) || operand.type === "BooleanValue") return rvFloat(Number(operand.value));
    if (operand.type !== "StringValue") return def;
    const n = parsePyFloat(operand.value);
    return n === null ? def : rvFloat(n);
  },
  round(operand, args, kwargs) {
    const precision = Number(arg(args, kwargs, 0, "precision")?.value ?? 0);
    const method = String(arg(args, kwargs, 1, "method")?.value ?? "common");
    if (!isNumber(operand) && operand.type !== "BooleanValue") throw new PyError("TypeError", `type ${operand.type} doesn't define __round__ method`);
    const x = Number(operand.value);
    const factor = 10 ** precision;
    if (method === "common") return numberResult(pyRound(x, precision), operand.type === "FloatValue");
    if (method === "floor") return numberResult(Math.floor(x * factor) / factor, operand.type === "FloatValue");
    if (method === "ceil") return numberResult(Math.ceil(x * factor) / factor, operand.type === "FloatValue");
    throw new PyError("FilterArgumentError", "method must be common, ceil or floor");
  },
  string: (operand) => rvStr(pyStr(operand)),
  format(operand, args, kwargs) {
    if (operand.type !== "StringValue") throw new PyError("TypeError", "format filter needs a string");
    if (args.length && kwargs.size) throw new PyError("FilterArgumentError", "can't handle positional and keyword arguments at the same time");
    return rvStr(percentFormat(operand.value, kwargs.size ? toRuntime(new Map(kwargs)) : rvTuple(args)));
  },
  default(operand, args, kwargs) {
    const def = arg(args, kwargs, 0, "default_value") ?? rvStr("");
    const boolean = pyTruthy(arg(args, kwargs, 1, "boolean") ?? rvBool(false));
    if (operand.type === "UndefinedValue" || (boolean && !pyTruthy(operand))) return def;
    return operand;
  },
  min: extreme(-1),
  max: extreme(1),
  sum(operand, args, kwargs) {
    const attribute = arg(args, kwargs, 0, "attribute");
    let total = Number(arg(args, kwargs, 1, "start")?.value ?? 0);
    let float = arg(args, kwargs, 1, "start")?.type === "FloatValue";
    for (const v of items(operand)) {
      const x = attributeOf(v, attribute);
      if (!isNumber(x) && x.type !== "BooleanValue") throw new PyError("TypeError", `unsupported operand type(s) for +: 'int' and '${x.type}'`);
      total += Number(x.value);
      float ||= x.type === "FloatValue";
    }
    return numberResult(total, float);
  },
  abs: (operand) => {
    if (!isNumber(operand)) throw new PyError("TypeError", `bad operand type for abs(): '${operand.type}'`);
    return numberResult(Math.abs(operand.value), operand.type === "FloatValue");
  },
};
EXTRA_FILTERS.d = EXTRA_FILTERS.default!;
EXTRA_FILTERS.map = (operand, args, kwargs) => {
  const attribute = kwargs.get("attribute");
  if (attribute) {
    const def = kwargs.get("default");
    return rvList(items(operand).map((v) => {
      try {
        return attributeOf(v, attribute);
      } catch (e) {
        if (def) return def;
        throw e;
      }
    }));
  }
  const name = args[0] ? String(args[0].value) : "";
  const filter = EXTRA_FILTERS[name] ?? SIMPLE_FILTERS[name];
  if (!filter) throw new PyError("TemplateRuntimeError", `No filter named '${name}' found.`);
  return rvList(items(operand).map((v) => filter(v, args.slice(1), new Map())));
};
EXTRA_FILTERS.select = selectFilter(true);
EXTRA_FILTERS.reject = selectFilter(false);

EXTRA_FILTERS.lower = (v) => rvStr(pyStr(v).toLowerCase());
EXTRA_FILTERS.upper = (v) => rvStr(pyStr(v).toUpperCase());
EXTRA_FILTERS.join = (operand, args, kwargs) => {
  const sep = arg(args, kwargs, 0, "d");
  const attribute = arg(args, kwargs, 1, "attribute");
  return rvStr(items(operand).map((v) => pyStr(attributeOf(v, attribute))).join(sep ? pyStr(sep) : ""));
};

/** Filters map() may name that the engine has only as its own built-ins. */
const SIMPLE_FILTERS: Record<string, Filter> = {
  trim: (v) => rvStr(pyStr(v).trim()),
  length: (v) => rvInt(items(v).length),
};

const numberOf = (v: RuntimeValue): number => {
  if (isNumber(v) || v.type === "BooleanValue") return Number(v.value);
  throw new PyError("TypeError", `'<' not supported between instances of '${v.type}' and a number`);
};

/** Jinja2's tests, for select()/reject(). */
const TESTS: Record<string, (v: RuntimeValue, other?: RuntimeValue) => boolean> = {
  defined: (v) => v.type !== "UndefinedValue",
  undefined: (v) => v.type === "UndefinedValue",
  none: (v) => v.type === "NullValue",
  number: (v) => isNumber(v),
  string: (v) => v.type === "StringValue",
  odd: (v) => numberOf(v) % 2 === 1,
  even: (v) => numberOf(v) % 2 === 0,
  divisibleby: (v, o) => numberOf(v) % numberOf(o!) === 0,
  true: (v) => v.type === "BooleanValue" && v.value === true,
  false: (v) => v.type === "BooleanValue" && v.value === false,
  eq: (v, o) => pyEquals(v, o!),
  ne: (v, o) => !pyEquals(v, o!),
  gt: (v, o) => compareValues(v, o!, true) > 0,
  ge: (v, o) => compareValues(v, o!, true) >= 0,
  lt: (v, o) => compareValues(v, o!, true) < 0,
  le: (v, o) => compareValues(v, o!, true) <= 0,
  in: (v, o) => items(o!).some((x) => pyEquals(x, v)),
};
for (const [alias, name] of [["==", "eq"], ["equalto", "eq"], ["!=", "ne"], [">", "gt"], ["greaterthan", "gt"], [">=", "ge"], ["<", "lt"], ["lessthan", "lt"], ["<=", "le"]] as const)
  TESTS[alias] = TESTS[name]!;

function selectFilter(keep: boolean): Filter {
  return (operand, args) => {
    const name = args[0] ? String(args[0].value) : "";
    const test = name ? TESTS[name] : (v: RuntimeValue) => pyTruthy(v);
    if (!test) throw new PyError("TemplateRuntimeError", `No test named '${name}' found.`);
    return rvList(items(operand).filter((v) => test(v, args[1]) === keep));
  };
}

