// The whole tree type-checks: Bun runs TypeScript without checking it, so contract drift between
// modules (a renamed method, a changed option shape) would otherwise only show at run time.
import { expect, test } from "bun:test";

test("tsc finds no type errors in src/, firmware-bridge/, test/ and scripts/", () => {
  const tsc = new URL("../node_modules/typescript/bin/tsc", import.meta.url).pathname;
  const root = new URL("..", import.meta.url).pathname;
  const r = Bun.spawnSync([process.execPath, tsc, "-p", root], { cwd: root });
  const out = r.stdout.toString() + r.stderr.toString();
  expect(out.split("\n").filter((l) => l.includes("error TS"))).toEqual([]);
  expect(r.exitCode).toBe(0);
}, 120_000);
