// What Klipper's Python says, for cross-checks: python-oracle.py run with python3.
const ORACLE = `${import.meta.dir}/python-oracle.py`;

/** python3 with jinja2 is installed (the render oracle needs it). */
export const hasJinja2 = Bun.spawnSync(["python3", "-c", "import jinja2"]).exitCode === 0;
/** python3 is installed (the literal oracle needs only it). */
export const hasPython = Bun.spawnSync(["python3", "-c", "import ast"]).exitCode === 0;

/** Python's results for `items` ("render" or "literal" mode, see python-oracle.py). */
export function pythonOracle(mode: "render" | "literal", items: unknown[]): string[] {
  const proc = Bun.spawnSync(["python3", ORACLE, mode], { stdin: new TextEncoder().encode(JSON.stringify(items)) });
  if (proc.exitCode !== 0) throw new Error(`oracle failed: ${proc.stderr.toString()}`);
  return JSON.parse(proc.stdout.toString());
}
