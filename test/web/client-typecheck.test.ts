// The dashboard's browser code type-checks against the DOM (its own tsconfig: the root project has
// no DOM types, so src/web/client is excluded there and checked here).
import { expect, test } from "bun:test";
import { join } from "node:path";

test("tsc finds no type errors in src/web/client", () => {
  const root = join(import.meta.dir, "..", "..");
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const r = Bun.spawnSync([process.execPath, tsc, "-p", join(root, "src", "web", "client")], { cwd: root });
  const out = r.stdout.toString() + r.stderr.toString();
  expect(out.split("\n").filter((l) => l.includes("error TS"))).toEqual([]);
  expect(r.exitCode).toBe(0);
}, 120_000);
