// Python-flavoured values for the template engine (@huggingface/jinja): conversion between plain
// JS data and the engine's runtime values, and Python's str()/repr() of them, so that rendered
// macros print values the way Klipper's Jinja2 does ("True", "None", "[1, 'a']", "210.0").
import { Environment, Interpreter } from "@huggingface/jinja";
import { pyFloat, pyRepr } from "../../core/config/pyformat.ts";

/** The engine's runtime value (IntegerValue, FloatValue, StringValue, ...), seen structurally. */
export interface RuntimeValue {
  type: string;
  // biome-ignore lint: the payload depends on the value type
  value: any;
  toString(): string;
}

type RuntimeCtor = new (value?: unknown) => RuntimeValue;

// The engine exports its value classes only through values it creates: take each constructor
// from a probe environment once.
const ctor = (v: unknown): RuntimeCtor => (new Environment().set("probe", v) as unknown as RuntimeValue).constructor as RuntimeCtor;
const Ctors = {
  Integer: ctor(1),
  Float: ctor(1.5),
  String: ctor(""),
  Boolean: ctor(true),
  Array: ctor([]),
  Object: ctor({}),
  Null: ctor(null),
  Undefined: ctor(undefined),
  Function: ctor(() => null),
  // Tuples only come out of the interpreter: evaluate an empty tuple literal once
  Tuple: (new Interpreter(new Environment()).evaluate({ type: "TupleLiteral", value: [] } as never, new Environment()) as unknown as RuntimeValue)
    .constructor as RuntimeCtor,
};

export const rvInt = (n: number): RuntimeValue => new Ctors.Integer(n);
export const rvFloat = (n: number): RuntimeValue => new Ctors.Float(n);
export const rvStr = (s: string): RuntimeValue => new Ctors.String(s);
export const rvBool = (b: boolean): RuntimeValue => new Ctors.Boolean(b);
export const rvNone = (): RuntimeValue => new Ctors.Null(null);
export const rvUndefined = (): RuntimeValue => new Ctors.Undefined(undefined);
export const rvList = (items: RuntimeValue[]): RuntimeValue => new Ctors.Array(items);
/** A tuple (prints as (a, b); unpacks in `for k, v in ...`). */
export const rvTuple = (items: RuntimeValue[]): RuntimeValue => new Ctors.Tuple(items);
/** A dict backed by `map` (which may compute its entries lazily). */
export const rvDict = (map: Map<string, RuntimeValue>): RuntimeValue => new Ctors.Object(map);
/** A callable; it gets the evaluated arguments (keyword arguments last, as a "KeywordArgumentsValue"). */
export const rvFunction = (fn: (args: RuntimeValue[]) => RuntimeValue): RuntimeValue => new Ctors.Function((args: RuntimeValue[]) => fn(args));

const COORD_FIELDS = ["x", "y", "z", "e"] as const;

// Klipper's Coord namedtuple: a sequence whose first items are also .x .y .z .e
class CoordValue extends Ctors.Array {
  get builtins(): Map<string, RuntimeValue> {
    const map = new Map<string, RuntimeValue>([["length", rvInt(this.value.length)]]);
    COORD_FIELDS.forEach((f, i) => {
      if (i < this.value.length) map.set(f, this.value[i]);
    });
    return map;
  }
}

/** A Coord(x, y, z, e) tuple of numbers. */
export const coordValue = (items: RuntimeValue[]): RuntimeValue => new CoordValue(items);
const isCoord = (v: RuntimeValue): boolean => v instanceof CoordValue;

export const isNumber = (v: RuntimeValue): boolean => v.type === "IntegerValue" || v.type === "FloatValue";
export const isList = (v: RuntimeValue): boolean => v.type === "ArrayValue" || v.type === "TupleValue";
export const isDict = (v: RuntimeValue): boolean => v.type === "ObjectValue" || v.type === "KeywordArgumentsValue";

/** A float the template should treat as float even when integral (Python's 210.0). */
export class PyFloat {
  constructor(readonly value: number) {}
  toJSON(): number {
    return this.value;
  }
}

/** Plain JS data (status dicts, variables, params) → runtime values. Whole numbers become
 * ints unless wrapped in PyFloat. */
export function toRuntime(v: unknown): RuntimeValue {
  switch (typeof v) {
    case "number":
      return Number.isInteger(v) ? rvInt(v) : rvFloat(v);
    case "string":
      return rvStr(v);
    case "boolean":
      return rvBool(v);
    case "undefined":
      return rvUndefined();
    case "function":
      return rvFunction((args) => toRuntime((v as (...a: unknown[]) => unknown)(...args.map(fromRuntime))));
    case "object": {
      if (v === null) return rvNone();
      if (v instanceof PyFloat) return rvFloat(v.value);
      if (Array.isArray(v)) return rvList(v.map(toRuntime));
      if (Object.values(Ctors).some((C) => v instanceof C)) return v as RuntimeValue;
      if (v instanceof Map) return rvDict(new Map([...v].map(([k, x]) => [String(k), toRuntime(x)])));
      if (ArrayBuffer.isView(v)) return rvList(Array.from(v as unknown as ArrayLike<number>, toRuntime));
      return rvDict(new Map(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, toRuntime(x)])));
    }
    default:
      return rvStr(String(v));
  }
}

/** Runtime values → plain JS data (floats that are whole numbers come back as PyFloat). */
export function fromRuntime(v: RuntimeValue): unknown {
  switch (v.type) {
    case "IntegerValue":
    case "StringValue":
    case "BooleanValue":
      return v.value;
    case "FloatValue":
      return Number.isInteger(v.value) ? new PyFloat(v.value) : v.value;
    case "NullValue":
    case "UndefinedValue":
      return null;
    case "ArrayValue":
    case "TupleValue":
      return (v.value as RuntimeValue[]).map(fromRuntime);
    case "ObjectValue":
    case "KeywordArgumentsValue":
    case "NamespaceValue":
      return Object.fromEntries([...(v.value as Map<string, RuntimeValue>)].map(([k, x]) => [k, fromRuntime(x)]));
    default:
      return v.value;
  }
}

/** Python str() of a value, as Jinja2 prints `{ expr }` (undefined prints nothing). */
export function pyStr(v: RuntimeValue): string {
  switch (v.type) {
    case "StringValue":
      return v.value;
    case "UndefinedValue":
      return "";
    default:
      return pyReprOf(v);
  }
}

/** Python repr() of a value. */
export function pyReprOf(v: RuntimeValue): string {
  switch (v.type) {
    case "StringValue":
      return pyRepr(v.value);
    case "IntegerValue":
      return String(v.value);
    case "FloatValue":
      return pyFloat(v.value);
    case "BooleanValue":
      return v.value ? "True" : "False";
    case "NullValue":
      return "None";
    case "UndefinedValue":
      return "";
    case "ArrayValue":
      if (isCoord(v)) return `Coord(${(v.value as RuntimeValue[]).map((x, i) => `${COORD_FIELDS[i] ?? `a${i}`}=${pyReprOf(x)}`).join(", ")})`;
      return `[${(v.value as RuntimeValue[]).map(pyReprOf).join(", ")}]`;
    case "TupleValue": {
      const items = (v.value as RuntimeValue[]).map(pyReprOf);
      return items.length === 1 ? `(${items[0]},)` : `(${items.join(", ")})`;
    }
    case "ObjectValue":
    case "KeywordArgumentsValue":
    case "NamespaceValue":
      return `{${[...(v.value as Map<string, RuntimeValue>)].map(([k, x]) => `${pyRepr(k)}: ${pyReprOf(x)}`).join(", ")}}`;
    default:
      return v.toString();
  }
}

/** Python truthiness. */
export function pyTruthy(v: RuntimeValue): boolean {
  switch (v.type) {
    case "StringValue":
      return v.value.length > 0;
    case "IntegerValue":
    case "FloatValue":
    case "BooleanValue":
      return Boolean(v.value);
    case "NullValue":
    case "UndefinedValue":
      return false;
    case "ArrayValue":
    case "TupleValue":
      return v.value.length > 0;
    case "ObjectValue":
      return v.value.size > 0;
    default:
      return true;
  }
}

/** Python ==: numbers (and bools) by value, str only with str, containers item by item. */
export function pyEquals(a: RuntimeValue, b: RuntimeValue): boolean {
  const numeric = (v: RuntimeValue) => isNumber(v) || v.type === "BooleanValue";
  if (numeric(a) && numeric(b)) return Number(a.value) === Number(b.value);
  const none = (v: RuntimeValue) => v.type === "NullValue" || v.type === "UndefinedValue";
  if (none(a) || none(b)) return a.type === b.type;
  if (isList(a) && isList(b)) {
    if (a.type !== b.type || a.value.length !== b.value.length) return false;
    return (a.value as RuntimeValue[]).every((x, i) => pyEquals(x, b.value[i]));
  }
  if (isDict(a) && isDict(b)) {
    const ma = a.value as Map<string, RuntimeValue>;
    const mb = b.value as Map<string, RuntimeValue>;
    if (ma.size !== mb.size) return false;
    for (const [k, x] of ma) {
      const y = mb.get(k);
      if (!y || !pyEquals(x, y)) return false;
    }
    return true;
  }
  return a.type === b.type && a.value === b.value;
}
