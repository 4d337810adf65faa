// One Stepline per data folder and per G-code pty, proven with real processes on temp paths: a
// second `stepline run` on a running one's data folder exits with a clear message and writes nothing
// there; one on its pty runs without a terminal and leaves the first one's alone; after the first
// one is killed (SIGKILL, no clean-up) the next start takes both over.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { Cleanups } from "../support/cleanups.ts";
import { spawnStepline } from "../support/cli.ts";

const cleanups = new Cleanups();
const run = (data: string, pty: string) => spawnStepline(cleanups, ["run", "--data", data, "--gcode-pty", pty, "--port", "0"]);

describe("a second instance", () => {
  test("is refused on a running instance's data folder and pty, and takes over after a crash", async () => {
    const dir = cleanups.tempDir("stepline-lock-");
    const data = join(dir, "data");
    const pty = join(dir, "printer");
    const first = run(data, pty);
    await first.waitFor(/^G-code terminal on /);
    // the last line of start-up, from here on the log holds still
    await first.waitFor(/^start-up pages /);
    const cfg = join(data, "config/printer.cfg");
    const log = join(data, "logs/stepline.log");
    const before = { cfg: statSync(cfg).mtimeMs, log: readFileSync(log, "utf8"), link: readlinkSync(pty) };
    expect(readFileSync(join(data, "stepline.lock"), "utf8")).toBe(`${first.proc.pid}\n`);

    // Same data folder: refused before touching it
    const second = run(data, join(dir, "other-pty"));
    expect(await second.proc.exited).toBe(1);
    await second.stop("SIGTERM");
    expect(second.lines).toContain(
      `stepline run: the data folder ${data} is in use by another running Stepline (pid ${first.proc.pid}); stop it first (on the appliance: sudo systemctl stop stepline) or give this one its own --data folder`,
    );
    expect(existsSync(join(dir, "other-pty"))).toBe(false);
    expect(readFileSync(log, "utf8")).toBe(before.log);
    expect(statSync(cfg).mtimeMs).toBe(before.cfg);

    // Same pty, own data folder: runs without a terminal, the first one's pty untouched
    const third = run(join(dir, "data3"), pty);
    await third.waitFor(/^stepline: no G-code terminal: /);
    expect(third.lines.find((l) => l.startsWith("stepline: no G-code terminal: "))).toBe(
      `stepline: no G-code terminal: ${pty} is the G-code pty of another running Stepline (pid ${first.proc.pid}); stop it or choose another path`,
    );
    expect(await third.stop("SIGTERM")).toBe(0);
    expect(readlinkSync(pty)).toBe(before.link);
    expect(first.proc.exitCode).toBeNull();

    // The first one crashes: its lock files stay behind, but hold no lock
    first.proc.kill("SIGKILL");
    await first.proc.exited;
    expect(existsSync(join(data, "stepline.lock"))).toBe(true);
    const next = run(data, pty);
    await next.waitFor(/^G-code terminal on /);
    expect(readFileSync(join(data, "stepline.lock"), "utf8")).toBe(`${next.proc.pid}\n`);
    expect(readlinkSync(pty)).not.toBe("");
    expect(await next.stop("SIGTERM")).toBe(0);
    expect(next.lines).toContain("stepline: stopped");
  }, 60_000);
});
