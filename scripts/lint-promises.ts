// Floating-promise lint (the job of typescript-eslint's no-floating-promises, on the TypeScript
// compiler API): a statement that drops a Promise, a MaybePromise or a step-sequence generator.
//
// A dropped Promise is a missing `await` (the caller runs on before the move/dwell/write is done, and a
// rejection goes unhandled); a dropped MaybePromise is the same hazard on the maybe-async path
// (src/util/maybe-async.ts), where it must be `yield`ed; a dropped Generator never runs at all (a
// missing `yield*`). Fire-and-forget is said with `void p` (after a `.catch` that logs), or with
// `p.catch(handler)` / `p.then(ok, handler)`, which handle the rejection themselves.
// (Promises passed where a void callback is expected — no-misused-promises — are not checked.)
// Usage: bun scripts/lint-promises.ts [dir ...]   (default: src firmware-bridge; exit 1 on findings)
import { join, relative } from "node:path";
import ts from "typescript";

export interface Finding {
  file: string;
  line: number;
  kind: "promise" | "maybe-promise" | "generator";
  text: string;
}

/** Load the project of `tsconfigPath`, keeping only its files under `dirs` (relative to the project). */
export function loadProgram(tsconfigPath: string, dirs: string[]): { program: ts.Program; files: string[] } {
  const read = ts.readConfigFile(tsconfigPath, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, "\n"));
  const root = join(tsconfigPath, "..");
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root);
  const prefixes = dirs.map((d) => join(root, d) + "/");
  const files = parsed.fileNames.filter((f) => prefixes.some((p) => f.startsWith(p)));
  // Only the checked files are roots: what they import is pulled in, the tests are not type-checked
  return { program: ts.createProgram(files, parsed.options), files };
}

/** Every statement in `files` of `program` that drops a Promise, a MaybePromise or a Generator. */
export function findFloatingPromises(program: ts.Program, files: string[], root: string): Finding[] {
  const checker = program.getTypeChecker();
  const found: Finding[] = [];
  for (const name of files) {
    const sf = program.getSourceFile(name);
    if (!sf) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isExpressionStatement(node)) {
        const kind = floatingKind(checker, node.expression);
        if (kind) {
          const { line } = sf.getLineAndCharacterOfPosition(node.expression.getStart(sf));
          found.push({ file: relative(root, name), line: line + 1, kind, text: node.expression.getText(sf).split("\n")[0]!.slice(0, 100) });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return found;
}

function floatingKind(checker: ts.TypeChecker, expr: ts.Expression): Finding["kind"] | null {
  const e = skipParens(expr);
  if (ts.isVoidExpression(e) || ts.isAwaitExpression(e) || ts.isYieldExpression(e)) return null;
  // An assignment keeps the value; a handled rejection is not floating
  if (ts.isBinaryExpression(e) && isAssignment(e.operatorToken.kind)) return null;
  if (handlesRejection(e)) return null;
  const type = checker.getTypeAtLocation(e);
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return null;
  const parts = type.isUnion() ? type.types : [type];
  const thenable = parts.filter((t) => isThenable(checker, t, e));
  if (thenable.length > 0) return thenable.length < parts.length ? "maybe-promise" : "promise";
  if (parts.some((t) => isGenerator(checker, t, e))) return "generator";
  return null;
}

const skipParens = (e: ts.Expression): ts.Expression => (ts.isParenthesizedExpression(e) ? skipParens(e.expression) : e);

const isAssignment = (k: ts.SyntaxKind) => k >= ts.SyntaxKind.FirstAssignment && k <= ts.SyntaxKind.LastAssignment;

/** `p.catch(h)` and `p.then(ok, h)` deal with a rejection themselves (also followed by `.finally(f)`). */
function handlesRejection(e: ts.Expression): boolean {
  if (!ts.isCallExpression(e) || !ts.isPropertyAccessExpression(e.expression)) return false;
  const method = e.expression.name.text;
  if (method === "finally") return handlesRejection(skipParens(e.expression.expression));
  return (method === "catch" && e.arguments.length >= 1) || (method === "then" && e.arguments.length >= 2);
}

function hasCallable(checker: ts.TypeChecker, t: ts.Type, name: string, at: ts.Node): boolean {
  const prop = t.getProperty(name);
  return !!prop && checker.getTypeOfSymbolAtLocation(prop, at).getCallSignatures().length > 0;
}

const isThenable = (checker: ts.TypeChecker, t: ts.Type, at: ts.Node) => hasCallable(checker, t, "then", at);

/** A generator object: a step sequence that only runs when iterated (`yield*`, runMaybeAsync). */
const isGenerator = (checker: ts.TypeChecker, t: ts.Type, at: ts.Node) =>
  hasCallable(checker, t, "next", at) && hasCallable(checker, t, "throw", at) && hasCallable(checker, t, "return", at);

if (import.meta.main) {
  const root = join(import.meta.dir, "..");
  const dirs = process.argv.length > 2 ? process.argv.slice(2) : ["src", "firmware-bridge"];
  const { program, files } = loadProgram(join(root, "tsconfig.json"), dirs);
  const found = findFloatingPromises(program, files, root);
  for (const f of found) console.log(`${f.file}:${f.line}: floating ${f.kind}: ${f.text}`);
  console.log(`${files.length} files checked, ${found.length} floating`);
  process.exit(found.length > 0 ? 1 : 0);
}
