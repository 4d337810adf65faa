// No statement under src/ or firmware-bridge/ drops a Promise, a MaybePromise or a step-sequence
// generator (scripts/lint-promises.ts): a missing `await`/`yield` on the live path fails here. The
// checker is shown to catch each kind in a small project of its own and to accept the handled forms.
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { findFloatingPromises, loadProgram } from "../scripts/lint-promises.ts";
import { TempDir } from "./support/temp-dir.ts";

const ROOT = join(import.meta.dir, "..");

test("no floating promises in src/ and firmware-bridge/", () => {
  const { program, files } = loadProgram(join(ROOT, "tsconfig.json"), ["src", "firmware-bridge"]);
  expect(files.length).toBeGreaterThan(300);
  expect(findFloatingPromises(program, files, ROOT).map((f) => `${f.file}:${f.line}: floating ${f.kind}: ${f.text}`)).toEqual([]);
}, 120_000);

describe("the checker", () => {
  const dir = new TempDir("stepline-lint-");
  afterAll(() => dir.remove());
  dir.write("tsconfig.json", JSON.stringify({ compilerOptions: { target: "ESNext", module: "ESNext", lib: ["ESNext"], strict: true, noEmit: true, types: [] }, include: ["src", "other"] }));
  // Each statement says what the checker must make of it
  const lines = [
    "type MaybePromise<T> = T | Promise<T>;",
    "declare function wait(): Promise<void>;",
    "declare function move(): MaybePromise<void>;",
    "declare function steps(): Generator<unknown, void, unknown>;",
    "declare function plain(): number;",
    "interface Thenable { then(ok: () => void): void }",
    "declare const thenable: Thenable;",
    "export async function caller(): Promise<void> {",
    "  wait(); // floating promise",
    "  move(); // floating maybe-promise",
    "  steps(); // floating generator (never runs)",
    "  (wait()); // floating promise",
    "  wait().finally(() => {}); // floating promise (finally alone handles nothing)",
    "  thenable; // floating promise (anything with a callable then)",
    "  void wait(); // ok",
    "  await wait(); // ok",
    "  await move(); // ok",
    "  wait().catch(() => {}); // ok",
    "  wait().then(() => {}, () => {}); // ok",
    "  wait().catch(() => {}).finally(() => {}); // ok",
    "  plain(); // ok",
    "  let p: Promise<void>;",
    "  p = wait(); // ok",
    "  await p; // ok",
    "}",
    "export function* sequence(): Generator<unknown, void, unknown> {",
    "  yield move(); // ok",
    "  yield* steps(); // ok",
    "  move(); // floating maybe-promise (a step dropped inside a sequence)",
    "}",
  ];
  const marked = (re: RegExp) => lines.flatMap((l, i) => {
    const m = re.exec(l);
    return m ? [[i + 1, m[1]] as const] : [];
  });
  dir.write("src/sample.ts", lines.join("\n") + "\n");
  dir.write("other/outside.ts", "export async function f(): Promise<void> {}\nf();\n");
  const { program, files } = loadProgram(join(dir.path, "tsconfig.json"), ["src"]);
  const found = findFloatingPromises(program, files, dir.path);

  test("checks only the files under the given folders", () => {
    expect(files.map((f) => f.slice(dir.path.length + 1))).toEqual(["src/sample.ts"]);
    expect(found.every((f) => f.file === "src/sample.ts")).toBe(true);
  });

  test("reports each dropped Promise, MaybePromise and generator by line", () => {
    const expected = marked(/\/\/ floating ([a-z-]+)/);
    expect(expected.length).toBe(7);
    expect(found.map((f): [number, string] => [f.line, f.kind])).toEqual(expected.map(([line, kind]): [number, string] => [line, kind!]));
    expect(found[0]!.text).toBe("wait()");
  });

  test("accepts void, await, yield, yield*, handled rejections and assignments", () => {
    const accepted = new Set(marked(/\/\/ (ok)$/).map(([line]) => line));
    expect(accepted.size).toBe(11);
    expect(found.filter((f) => accepted.has(f.line))).toEqual([]);
  });
});
