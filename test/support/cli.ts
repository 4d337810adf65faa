// The stepline command line from source (bun src/main.ts ...), for tests that run it as a process.
import { resolve } from "node:path";

export const STEPLINE_MAIN = resolve(import.meta.dir, "../../src/main.ts");

/** Runs `stepline ...args` to completion; its exit code and output. */
export function runStepline(...args: string[]): { code: number; out: string; err: string } {
  const r = Bun.spawnSync([process.execPath, STEPLINE_MAIN, ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}
