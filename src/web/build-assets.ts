// Build-time half of the dashboard: imported `with { type: "macro" }`, so these run while Bun
// transpiles or bundles (`bun build --compile`) and their results are inlined as string literals.
// The executable therefore carries the dashboard and never reads src/web at run time.
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** src/web/client/main.ts and its imports as one minified browser ES module. */
export function dashboardScript(): string {
  // Bun.build cannot run inside a macro (the bundler waits for the macro): use the CLI
  const r = Bun.spawnSync([process.execPath, "build", join(import.meta.dir, "client", "main.ts"), "--target=browser", "--format=esm", "--minify"]);
  if (r.exitCode !== 0) throw new Error(`dashboard: bundling the client failed:\n${r.stderr.toString()}`);
  return r.stdout.toString();
}

/** A file next to this one (index.html, app.css) as text. */
export function dashboardFile(name: string): string {
  return readFileSync(join(import.meta.dir, name), "utf8");
}
