// Templates as Klipper's gcode_macro renders them (Jinja2 with `{ }` expressions, no
// autoescape, default whitespace handling), on the @huggingface/jinja engine. The engine is
// extended through its public interpreter hook (evaluate) where Python behaviour differs from
// it: values print as Python prints them, operators (./python-ops.ts), methods (./methods.ts)
// and filters (./filters.ts) behave as in Python and Jinja2.
import { Environment, Interpreter, parse, tokenize } from "@huggingface/jinja";
import { DelimiterError, toEngineSyntax } from "./delimiters.ts";
import { EXTRA_FILTERS } from "./filters.ts";
import { METHOD_NAMES, methodFor } from "./methods.ts";
import { PyError } from "./python-format.ts";
import { PY_OPERATORS, pyBinary } from "./python-ops.ts";
import { pyStr, type RuntimeValue, rvBool, rvFunction, rvNone, rvStr, toRuntime } from "./python-values.ts";

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

/** An already evaluated value standing in for a node. */
const pyValue = (value: RuntimeValue): Node => ({ type: "PyValue", value });

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

  /** Operators where Python differs (./python-ops.ts); each operand is evaluated once. */
  private binary(node: Node, scope: Scope): RuntimeValue {
    const left = this.evaluate(node.left, scope) as unknown as RuntimeValue;
    const right = this.evaluate(node.right, scope) as unknown as RuntimeValue;
    return pyBinary(node.operator.value, left, right) ?? this.engine({ ...node, left: pyValue(left), right: pyValue(right) }, scope);
  }

  /** The engine's own evaluation of a node. */
  private engine(node: Node, scope: Scope): RuntimeValue {
    return super.evaluate(node, scope) as unknown as RuntimeValue;
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
        return PY_OPERATORS.has(node.operator.value) ? this.binary(node, scope) : null;
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
        if (object.type !== "UndefinedValue") return this.engine({ ...node, object: pyValue(object) }, scope);
        const what = node.object.type === "Identifier" ? `'${node.object.value}' is undefined` : node.object.type === "MemberExpression" && !node.object.computed ? `'dict object' has no attribute '${node.object.property.value}'` : "value is undefined";
        throw new PyError("jinja2.exceptions.UndefinedError", what);
      }
      case "CallExpression": {
        const callee = node.callee;
        if (callee.type !== "MemberExpression" || callee.computed || callee.property.type !== "Identifier") return null;
        if (!METHOD_NAMES.has(callee.property.value)) return null;
        const target = this.evaluate(callee.object, scope) as unknown as RuntimeValue;
        const method = methodFor(target, callee.property.value);
        if (!method) return this.engine({ ...node, callee: { ...callee, object: pyValue(target) } }, scope);
        const [args, kwargs] = this.args(node.args, scope);
        return method(target, args, kwargs);
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
