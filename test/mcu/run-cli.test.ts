// `stepline run`: the built-in virtual printer, and a printer.cfg whose [mcu] is a pty served by
// `stepline vmcu --pty`; each must log its way to ready and stop cleanly on a signal.
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Cleanups } from "../support/cleanups.ts";
import { spawnStepline } from "../support/cli.ts";

const cleanups = new Cleanups();

/** `stepline run` on its own temp data dir and G-code pty, without the web API (never the defaults). */
const spawnRun = (dir: string, ...args: string[]) => spawnStepline(cleanups, ["run", "--data", join(dir, "data"), "--gcode-pty", join(dir, "printer"), "--port", "0", ...args]);

describe("stepline run", () => {
  test("with no config runs the built-in virtual printer to ready and stops on SIGINT", async () => {
    const dir = cleanups.tempDir("stepline-run-");
    const run = spawnRun(dir);
    await run.waitFor(/^Printer is ready$/);
    expect(await run.stop("SIGINT")).toBe(0);
    const log = run.lines.join("\n");
    expect(log).toMatch(/MCU 'mcu': identified, data dictionary \d+ bytes/);
    expect(log).toMatch(/MCU 'mcu': clock 72000000 Hz, measured \d+ Hz .*clock sync: samples off the prediction by \d+ us rms/);
    expect(log).toMatch(/Sending MCU 'mcu' printer configuration \(config CRC \d+\)/);
    expect(log).toContain("MCU 'mcu' ready");
    // Its own G-code pty, not the appliance's /tmp/printer
    expect(run.lines).toContain(`G-code terminal on ${join(dir, "printer")}`);
    expect(run.lines.at(-1)).toBe("stepline: stopped");
  }, 30_000);

  test("--config connects to the MCU on the pty named by [mcu] serial, and stops on SIGTERM", async () => {
    const dir = cleanups.tempDir("stepline-run-");
    const pty = join(dir, "vmcu-tty");
    const vmcu = spawnStepline(cleanups, ["vmcu", "--pty", pty]);
    await vmcu.waitFor(/ready on/);
    const cfg = join(dir, "printer.cfg");
    writeFileSync(cfg, `[mcu]\nserial: ${pty}\nbaud: 250000\nrestart_method: command\n\n[printer]\nkinematics: none\nmax_velocity: 1\nmax_accel: 1\n`);
    const run = spawnRun(dir, "--config", cfg);
    await run.waitFor(/^MCU 'mcu' ready$/);
    expect(await run.stop("SIGTERM")).toBe(0);
    expect(run.lines).toContain("stepline: SIGTERM received, shutting down");
    await vmcu.stop("SIGINT");
  }, 30_000);

  test("a bad option is refused with usage", async () => {
    const run = spawnStepline(cleanups, ["run", "--frobnicate"]);
    expect(await run.proc.exited).toBe(2);
    await run.stop("SIGINT");
    expect(run.lines.join("\n")).toContain("unknown option '--frobnicate'");
  });
});
