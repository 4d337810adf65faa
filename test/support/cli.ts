// The stepline command line as a real child process for tests: run to completion, or spawned (from
// source, or any command such as the arm64 executable under qemu-user) with its output lines, waiting
// for a line and stopping it by signal; and a free loopback port for its web API (tests never use the
// appliance's defaults).
import { resolve } from "node:path";
import type { Subprocess } from "bun";
import type { Cleanups } from "./cleanups.ts";

export const STEPLINE_MAIN = resolve(import.meta.dir, "../../src/main.ts");

/** Runs `stepline ...args` to completion; its exit code and output. */
export function runStepline(...args: string[]): { code: number; out: string; err: string } {
  const r = Bun.spawnSync([process.execPath, STEPLINE_MAIN, ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

export interface SteplineProcess {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** stdout and stderr lines so far, in arrival order. */
  lines: string[];
  /** The first line matching `re` (rejects if the process exits first). */
  waitFor(re: RegExp): Promise<string>;
  /** Signal it and wait for its exit code (and the rest of its output). */
  stop(signal: "SIGINT" | "SIGTERM"): Promise<number>;
}

/** Spawn `command` (default `bun src/main.ts`) with `args`; killed by `cleanups` after the test (null: the caller stops it). */
export function spawnStepline(cleanups: Cleanups | null, args: string[], command: string[] = [process.execPath, STEPLINE_MAIN]): SteplineProcess {
  const proc: Subprocess<"ignore", "pipe", "pipe"> = Bun.spawn([...command, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of stream) {
      buf += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        for (const w of waiters.filter((w) => w.re.test(line))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  };
  const pumped = Promise.all([pump(proc.stdout), pump(proc.stderr)]);
  cleanups?.push(async () => {
    if (proc.exitCode === null) proc.kill();
    await proc.exited;
  });
  return {
    proc,
    lines,
    waitFor(re: RegExp): Promise<string> {
      const hit = lines.find((l) => re.test(l));
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        waiters.push({ re, resolve });
        void proc.exited.then(() => setTimeout(() => reject(new Error(`exited before ${re}:\n${lines.join("\n")}`)), 50));
      });
    },
    async stop(signal: "SIGINT" | "SIGTERM"): Promise<number> {
      if (proc.exitCode === null) proc.kill(signal);
      const code = await proc.exited;
      await pumped;
      return code;
    },
  };
}

export { freePort } from "../../scripts/lib/free-port.ts";
