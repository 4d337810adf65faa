// Templates as Klipper's gcode_macro renders them (Jinja2 with `{ }` expressions, no
// autoescape, default whitespace handling), on the @huggingface/jinja engine. The engine is
// extended through its public interpreter hook (evaluate) where Python behaviour differs from
// it: values print as Python prints them, `"%.2f" % x` and str.format() work, and the filters
// in ./filters.ts are Jinja2's.
import { Environment, Interpreter, parse, tokenize } from "@huggingface/jinja";
import { DelimiterError, toEngineSyntax } from "./delimiters.ts";
import { EXTRA_FILTERS, STRING_METHODS } from "./filters.ts";
import { percentFormat, PyError } from "./python-format.ts";
import { isList, pyEquals, pyStr, type RuntimeValue, rvBool, rvFunction, rvList, rvNone, rvStr, toRuntime } from "./python-values.ts";

type Program = ReturnType<typeof parse>;
type Scope = Environment;
// biome-ignore lint: AST nodes of the engine, walked structurally
type Node = any;

/** Statement kinds that produce no output of their own (their bodies are walked). */
const STATEMENTS = new Set(["Set", "If", "For", "Macro", "Comment", "Break", "Continue", "CallStatement", "FilterStatement", "Program"]);
const BODY_KEYS = ["body", "alternate", "defaultBlock"] as const;

/** Mark every expression that prints into the output, so it prints the Python way. */
function markOutputs(node: Node): void {
  for (const key of BODY_KEYS) {
    const list = node[key];
    if (!Array.isArray(list)) continue;
    for (let i = 0; i < list.length; i++) {
      const stmt = list[i];
      if (STATEMENTS.has(stmt.type)) markOutputs(stmt);
      else if (stmt.type !== "StringLiteral") list[i] = { type: "PyOutput", expression: stmt };
    }
  }
}

function filterName(filter: Node): string | null {
  if (filter.type === "Identifier") return filter.value;
  if (filter.type === "CallExpression" && filter.callee.type === "Identifier") return filter.callee.value;
  return null;
}

class PyInterpreter extends Interpreter {
  private args(nodes: Node[], scope: Scope): [RuntimeValue[], Map<string, RuntimeValue>] {
    const args: RuntimeValue[] = [];
    const kwargs = new Map<string, RuntimeValue>();
    for (const n of nodes) {
      if (n.type === "KeywordArgumentExpression") kwargs.set(n.key.value, this.evaluate(n.value, scope) as unknown as RuntimeValue);
      else args.push(this.evaluate(n, scope) as unknown as RuntimeValue);
    }
    return [args, kwargs];
  }

  /** Operators where Python differs: str % args, ~ and == of any values, sequence * int. */
  private binary(node: Node, scope: Scope): RuntimeValue | null {
    const op: string = node.operator.value;
    if (!["%", "~", "==", "!=", "*"].includes(op)) return null;
    const left = this.evaluate(node.left, scope) as unknown as RuntimeValue;
    if (op === "%" && left.type !== "StringValue") return null;
    const right = this.evaluate(node.right, scope) as unknown as RuntimeValue;
    switch (op) {
      case "%":
        return rvStr(percentFormat(left.value, right));
      case "~":
        return rvStr(pyStr(left) + pyStr(right));
      case "==":
        return rvBool(pyEquals(left, right));
      case "!=":
        return rvBool(!pyEquals(left, right));
    }
    const [seq, count] = right.type === "IntegerValue" ? [left, right.value as number] : [right, left.type === "IntegerValue" ? (left.value as number) : null];
    if (count === null || !(seq.type === "StringValue" || isList(seq))) return null;
    if (seq.type === "StringValue") return rvStr(seq.value.repeat(Math.max(0, count)));
    return rvList(Array.from({ length: Math.max(0, count) }, () => seq.value as RuntimeValue[]).flat());
  }

  override evaluate(node: Node, scope: Scope): ReturnType<Interpreter["evaluate"]> {
    return (this.evaluatePy(node, scope) ?? super.evaluate(node, scope)) as ReturnType<Interpreter["evaluate"]>;
  }

  /** Python behaviour for the node, or null to let the engine evaluate it. */
  private evaluatePy(node: Node, scope: Scope): RuntimeValue | null {
    if (!node) return null;
    switch (node.type) {
      case "PyValue":
        return node.value;
      case "PyOutput":
        return rvStr(pyStr(this.evaluate(node.expression, scope) as unknown as RuntimeValue));
      case "BinaryExpression":
        return this.binary(node, scope);
      case "FilterExpression": {
        const name = filterName(node.filter);
        const filter = name === null ? undefined : EXTRA_FILTERS[name];
        if (!filter) return null;
        const operand = this.evaluate(node.operand, scope) as unknown as RuntimeValue;
        const [args, kwargs] = node.filter.type === "CallExpression" ? this.args(node.filter.args, scope) : [[], new Map()];
        return filter(operand, args, kwargs);
      }
      case "MemberExpression": {
        // Jinja2: reading an attribute of something undefined is an error, not more undefined
        const object = this.evaluate(node.object, scope) as unknown as RuntimeValue;
        if (object.type !== "UndefinedValue") return super.evaluate({ ...node, object: { type: "PyValue", value: object } }, scope) as unknown as RuntimeValue;
        const what = node.object.type === "Identifier" ? `'${node.object.value}' is undefined` : node.object.type === "MemberExpression" && !node.object.computed ? `'dict object' has no attribute '${node.object.property.value}'` : "value is undefined";
        throw new PyError("jinja2.exceptions.UndefinedError", what);
      }
      case "CallExpression": {
        const callee = node.callee;
        if (callee.type !== "MemberExpression" || callee.computed || callee.property.type !== "Identifier") return null;
        const method = STRING_METHODS[callee.property.value];
        if (!method) return null;
        const target = this.evaluate(callee.object, scope) as unknown as RuntimeValue;
        if (target.type !== "StringValue") return null;
        const [args, kwargs] = this.args(node.args, scope);
        return method(target.value, args, kwargs);
      }
      default:
        return null;
    }
  }
}

/** A template failed to load (syntax) or to render; message in Klipper's wording. */
export class TemplateError extends Error {}

/** Python-style "TypeError: message" text of an error raised while rendering. */
export function describeError(e: unknown): string {
  if (e instanceof PyError) return `${e.pyType}: ${e.message}`;
  if (e instanceof Error) return `${e.name === "Error" ? "Exception" : e.name}: ${e.message}`;
  return String(e);
}

/** Values every template sees (Jinja2's globals). */
function setupGlobals(scope: Scope): void {
  for (const [name, value] of [
    ["true", true],
    ["false", false],
    ["True", true],
    ["False", false],
  ] as const)
    scope.variables.set(name, rvBool(value) as never);
  for (const name of ["none", "None"]) scope.variables.set(name, rvNone() as never);
  scope.variables.set(
    "range",
    rvFunction((args) => {
      const n = args.map((a) => Number(a.value));
      const [start, stop, step] = n.length === 1 ? [0, n[0]!, 1] : [n[0]!, n[1]!, n[2] ?? 1];
      if (step === 0) throw new PyError("ValueError", "range() arg 3 must not be zero");
      const out: number[] = [];
      for (let v = start; step > 0 ? v < stop : v > stop; v += step) out.push(v);
      return toRuntime(out);
    }) as never,
  );
}

export class Template {
  private readonly program: Program;

  /** Compile `source` (Klipper syntax); `name` ("gcode_macro FOO:gcode") is used in errors. */
  constructor(
    readonly name: string,
    readonly source: string,
  ) {
    try {
      this.program = parse(tokenize(toEngineSyntax(source), {}));
    } catch (e) {
      const where = e instanceof DelimiterError ? `\nline ${e.line}: ${source.split("\n")[e.line - 1]?.trim() ?? ""} # ${e.message}` : `: ${describeError(e)}`;
      throw new TemplateError(`Error loading template '${name}'${where}`);
    }
    markOutputs(this.program);
  }

  /** Render with `context` (plain values, functions, or engine runtime values). */
  render(context: Record<string, unknown>): string {
    const scope = new Environment();
    setupGlobals(scope);
    for (const [key, value] of Object.entries(context)) scope.variables.set(key, toRuntime(value) as never);
    try {
      const result = new PyInterpreter(scope).run(this.program) as unknown as RuntimeValue;
      return String(result.value);
    } catch (e) {
      throw new TemplateError(`Error evaluating '${this.name}': ${describeError(e)}`);
    }
  }
}
