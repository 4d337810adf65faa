// The stepline command line from source (bun src/main.ts ...), for tests that run it as a process.
import { resolve } from "node:path";
import type { Subprocess } from "bun";
import type { Cleanups } from "./cleanups.ts";

export const STEPLINE_MAIN = resolve(import.meta.dir, "../../src/main.ts");

/** Runs `stepline ...args` to completion; its exit code and output. */
export function runStepline(...args: string[]): { code: number; out: string; err: string } {
  const r = Bun.spawnSync([process.execPath, STEPLINE_MAIN, ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

/** Spawn `bun src/main.ts ...args`; collects stdout+stderr lines; killed at cleanup. */
export function spawnStepline(args: string[], cleanups: Cleanups) {
  const proc: Subprocess<"ignore", "pipe", "pipe"> = Bun.spawn([process.execPath, STEPLINE_MAIN, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    let buf = "";
    for await (const chunk of stream) {
      buf += new TextDecoder().decode(chunk);
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
  cleanups.push(async () => {
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
      proc.kill(signal);
      const code = await proc.exited;
      await pumped;
      return code;
    },
  };
}
