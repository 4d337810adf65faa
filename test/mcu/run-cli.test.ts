// `stepline run`: the built-in virtual printer, and a printer.cfg whose [mcu] is a pty served by
// `stepline vmcu --pty`; each must log its way to ready and stop cleanly on a signal.
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { STEPLINE_MAIN } from "../support/cli.ts";
import { Cleanups } from "../support/cleanups.ts";

const cleanups = new Cleanups();


/** Spawn `bun src/main.ts ...args`; collects stdout+stderr lines; killed at cleanup. */
function spawnStepline(args: string[]) {
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

describe("stepline run", () => {
  test("with no config runs the built-in virtual printer to ready and stops on SIGINT", async () => {
    const dir = cleanups.tempDir("stepline-run-");
    const run = spawnStepline(["run", "--data", dir]);
    await run.waitFor(/^Printer is ready$/);
    expect(await run.stop("SIGINT")).toBe(0);
    const log = run.lines.join("\n");
    expect(log).toMatch(/MCU 'mcu': identified, data dictionary \d+ bytes/);
    expect(log).toMatch(/MCU 'mcu': clock 72000000 Hz, measured \d+ Hz .*clock sync: samples off the prediction by \d+ us rms/);
    expect(log).toMatch(/Sending MCU 'mcu' printer configuration \(config CRC \d+\)/);
    expect(log).toContain("MCU 'mcu' ready");
    expect(run.lines.at(-1)).toBe("stepline: stopped");
  }, 30_000);

  test("--config connects to the MCU on the pty named by [mcu] serial, and stops on SIGTERM", async () => {
    const dir = cleanups.tempDir("stepline-run-");
    const pty = join(dir, "vmcu-tty");
    const vmcu = spawnStepline(["vmcu", "--pty", pty]);
    await vmcu.waitFor(/ready on/);
    const cfg = join(dir, "printer.cfg");
    writeFileSync(cfg, `[mcu]\nserial: ${pty}\nbaud: 250000\nrestart_method: command\n\n[printer]\nkinematics: none\nmax_velocity: 1\nmax_accel: 1\n`);
    const run = spawnStepline(["run", "--config", cfg, "--data", join(dir, "data")]);
    await run.waitFor(/^MCU 'mcu' ready$/);
    expect(await run.stop("SIGTERM")).toBe(0);
    expect(run.lines).toContain("stepline: SIGTERM received, shutting down");
    await vmcu.stop("SIGINT");
  }, 30_000);

  test("a bad option is refused with usage", async () => {
    const run = spawnStepline(["run", "--frobnicate"]);
    expect(await run.proc.exited).toBe(2);
    await run.stop("SIGINT");
    expect(run.lines.join("\n")).toContain("unknown option '--frobnicate'");
  });
});
