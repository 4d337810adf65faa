// Python methods of str, list and dict values that macros call and the engine lacks or does
// differently (.format(), .split(sep, maxsplit), list.append() in `{% set _ = l.append(x) %}`,
// dict.update(), ...). dict.items() stays the engine's (pairs as lists: its for-loops unpack
// only lists, and iterating matters more than how a pair prints).
import { arg, items } from "./filters.ts";
import { PyError, strFormat } from "./python-format.ts";
import { pyEquals, pyStr, type RuntimeValue, rvBool, rvInt, rvList, rvNone, rvStr } from "./python-values.ts";

export type Method = (target: RuntimeValue, args: RuntimeValue[], kwargs: Map<string, RuntimeValue>) => RuntimeValue;

/** Python str.split / rsplit. */
function split(s: string, sep: RuntimeValue | undefined, maxsplit: number, fromRight: boolean): string[] {
  if (!sep || sep.type === "NullValue") {
    const words = s.trim().split(/\s+/).filter((w) => w);
    if (maxsplit < 0 || words.length <= maxsplit + 1) return words;
    if (!fromRight) {
      const re = /\S+/g;
      const out: string[] = [];
      let m: RegExpExecArray | null;
      while (out.length < maxsplit && (m = re.exec(s))) out.push(m[0]);
      out.push(s.slice(re.lastIndex).trimStart());
      return out;
    }
    const out = split([...s].reverse().join(""), undefined, maxsplit, false).map((w) => [...w].reverse().join(""));
    return out.reverse();
  }
  const d = String(sep.value);
  if (!d) throw new PyError("ValueError", "empty separator");
  const parts = s.split(d);
  if (maxsplit < 0 || parts.length <= maxsplit + 1) return parts;
  return fromRight ? [parts.slice(0, parts.length - maxsplit).join(d), ...parts.slice(parts.length - maxsplit)] : [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(d)];
}

const stripChars = (s: string, chars: RuntimeValue | undefined, left: boolean, right: boolean): string => {
  if (!chars || chars.type === "NullValue") return left && right ? s.trim() : left ? s.trimStart() : s.trimEnd();
  const set = String(chars.value);
  let a = 0;
  let b = s.length;
  while (left && a < b && set.includes(s[a]!)) a++;
  while (right && b > a && set.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
};

type StringMethod = (s: string, args: RuntimeValue[], kwargs: Map<string, RuntimeValue>) => RuntimeValue;

const STRING_METHODS: Record<string, StringMethod> = {
  format: (s, args, kwargs) => rvStr(strFormat(s, args, kwargs)),
  split: (s, args, kwargs) => rvList(split(s, arg(args, kwargs, 0, "sep"), Number(arg(args, kwargs, 1, "maxsplit")?.value ?? -1), false).map((w) => rvStr(w))),
  rsplit: (s, args, kwargs) => rvList(split(s, arg(args, kwargs, 0, "sep"), Number(arg(args, kwargs, 1, "maxsplit")?.value ?? -1), true).map((w) => rvStr(w))),
  replace(s, args) {
    const [from, to, count] = [String(args[0]?.value ?? ""), String(args[1]?.value ?? ""), Number(args[2]?.value ?? -1)];
    if (count < 0) return rvStr(s.split(from).join(to));
    const parts = s.split(from);
    return rvStr(parts.slice(0, count + 1).join(to) + (parts.length > count + 1 ? from + parts.slice(count + 1).join(from) : ""));
  },
  strip: (s, args) => rvStr(stripChars(s, args[0], true, true)),
  lstrip: (s, args) => rvStr(stripChars(s, args[0], true, false)),
  rstrip: (s, args) => rvStr(stripChars(s, args[0], false, true)),
  find: (s, args) => rvInt(s.indexOf(String(args[0]?.value ?? ""))),
  count: (s, args) => rvInt(s.split(String(args[0]?.value ?? "")).length - 1),
  join: (s, args) => rvStr(items(args[0] ?? rvList([])).map(pyStr).join(s)),
  isdigit: (s) => rvBool(/^\d+$/.test(s)),
  zfill(s, args) {
    const width = Number(args[0]?.value ?? 0);
    const sign = /^[+-]/.test(s) ? s[0]! : "";
    return rvStr(sign + s.slice(sign.length).padStart(width - sign.length, "0"));
  },
};

const list = (v: RuntimeValue) => v.value as RuntimeValue[];
const indexOf = (target: RuntimeValue, x: RuntimeValue | undefined): number => list(target).findIndex((y) => x !== undefined && pyEquals(x, y));

const LIST_METHODS: Record<string, Method> = {
  append(target, [x]) {
    list(target).push(x ?? rvNone());
    return rvNone();
  },
  extend(target, [other]) {
    list(target).push(...items(other ?? rvList([])));
    return rvNone();
  },
  insert(target, [at, x]) {
    list(target).splice(Number(at?.value ?? 0), 0, x ?? rvNone());
    return rvNone();
  },
  pop(target, [at]) {
    const l = list(target);
    if (!l.length) throw new PyError("IndexError", "pop from empty list");
    const i = at === undefined ? l.length - 1 : (Number(at.value) + l.length) % l.length;
    return l.splice(i, 1)[0]!;
  },
  remove(target, [x]) {
    const i = indexOf(target, x);
    if (i < 0) throw new PyError("ValueError", "list.remove(x): x not in list");
    list(target).splice(i, 1);
    return rvNone();
  },
  index(target, [x]) {
    const i = indexOf(target, x);
    if (i < 0) throw new PyError("ValueError", `${x ? pyStr(x) : "None"} is not in list`);
    return rvInt(i);
  },
  count: (target, [x]) => rvInt(list(target).filter((y) => x !== undefined && pyEquals(x, y)).length),
};

const map = (v: RuntimeValue) => v.value as Map<string, RuntimeValue>;

const DICT_METHODS: Record<string, Method> = {
  update(target, [other], kwargs) {
    if (other) for (const [k, v] of map(other)) map(target).set(k, v);
    for (const [k, v] of kwargs) map(target).set(k, v);
    return rvNone();
  },
  pop(target, [key, def]) {
    const k = pyStr(key ?? rvNone());
    const v = map(target).get(k);
    if (v === undefined) {
      if (def) return def;
      throw new PyError("KeyError", `'${k}'`);
    }
    map(target).delete(k);
    return v;
  },
  setdefault(target, [key, def]) {
    const k = pyStr(key ?? rvNone());
    if (!map(target).has(k)) map(target).set(k, def ?? rvNone());
    return map(target).get(k)!;
  },
};

/** Every method name handled here (calls of other names go to the engine untouched). */
export const METHOD_NAMES = new Set([...Object.keys(STRING_METHODS), ...Object.keys(LIST_METHODS), ...Object.keys(DICT_METHODS)]);

/** The Python method `name` of `target`, if handled here. */
export function methodFor(target: RuntimeValue, name: string): Method | undefined {
  if (target.type === "StringValue") {
    const m = STRING_METHODS[name];
    return m && ((t, args, kwargs) => m(t.value, args, kwargs));
  }
  if (target.type === "ArrayValue") return LIST_METHODS[name];
  if (target.type === "ObjectValue") return DICT_METHODS[name];
  return undefined;
}
