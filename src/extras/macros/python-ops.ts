// Python semantics for the binary operators where the template engine's differ: str % args,
// ~ and == of any values, sequence repetition, ordering of str and lists, modulo's sign and
// division by zero.
import { percentFormat, PyError } from "./python-format.ts";
import { isList, isNumber, pyEquals, pyStr, type RuntimeValue, rvBool, rvFloat, rvInt, rvList, rvStr } from "./python-values.ts";

/** Operators this module may decide (others go straight to the engine). */
export const PY_OPERATORS = new Set(["%", "~", "==", "!=", "*", "<", ">", "<=", ">=", "/", "//"]);

const typeName = (v: RuntimeValue) => ({ StringValue: "str", IntegerValue: "int", FloatValue: "float", ArrayValue: "list", TupleValue: "tuple", BooleanValue: "bool", NullValue: "NoneType" })[v.type] ?? v.type;

/** -1, 0 or 1 for str/str or list/list (item by item, as Python orders them). */
function order(a: RuntimeValue, b: RuntimeValue, op: string): number {
  if (a.type === "StringValue" && b.type === "StringValue") return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  if (isList(a) && isList(b)) {
    const n = Math.min(a.value.length, b.value.length);
    for (let i = 0; i < n; i++) {
      const x = a.value[i] as RuntimeValue;
      const y = b.value[i] as RuntimeValue;
      if (pyEquals(x, y)) continue;
      if (isNumber(x) && isNumber(y)) return x.value < y.value ? -1 : 1;
      return order(x, y, op);
    }
    return Math.sign(a.value.length - b.value.length);
  }
  throw new PyError("TypeError", `'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

const numeric = (v: RuntimeValue) => isNumber(v) || v.type === "BooleanValue";

/** Python's result of `left op right`, or null where the engine already agrees with Python. */
export function pyBinary(op: string, left: RuntimeValue, right: RuntimeValue): RuntimeValue | null {
  switch (op) {
    case "~":
      return rvStr(pyStr(left) + pyStr(right));
    case "==":
      return rvBool(pyEquals(left, right));
    case "!=":
      return rvBool(!pyEquals(left, right));
    case "%": {
      if (left.type === "StringValue") return rvStr(percentFormat(left.value, right));
      if (!numeric(left) || !numeric(right)) return null;
      const a = Number(left.value);
      const b = Number(right.value);
      const float = left.type === "FloatValue" || right.type === "FloatValue";
      if (b === 0) throw new PyError("ZeroDivisionError", float ? "float modulo" : "integer division or modulo by zero");
      const r = a - b * Math.floor(a / b); // the sign of the divisor, as in Python
      return float ? rvFloat(r) : rvInt(r);
    }
    case "/":
    case "//":
      if (numeric(left) && numeric(right) && Number(right.value) === 0)
        throw new PyError("ZeroDivisionError", op === "/" ? "division by zero" : "integer division or modulo by zero");
      return null;
    case "*": {
      const [seq, count] = right.type === "IntegerValue" ? [left, right.value as number] : [right, left.type === "IntegerValue" ? (left.value as number) : null];
      if (count === null || !(seq.type === "StringValue" || isList(seq))) return null;
      if (seq.type === "StringValue") return rvStr(seq.value.repeat(Math.max(0, count)));
      return rvList(Array.from({ length: Math.max(0, count) }, () => seq.value as RuntimeValue[]).flat());
    }
    default: {
      // < > <= >=
      if (numeric(left) && numeric(right)) return null;
      const c = order(left, right, op);
      return rvBool(op === "<" ? c < 0 : op === ">" ? c > 0 : op === "<=" ? c <= 0 : c >= 0);
    }
  }
}
