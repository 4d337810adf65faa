// Error paths of `stepline vmcu` (no pty is created for these).
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runStepline } from "../support/cli.ts";
import { TempDir } from "../support/temp-dir.ts";

const tmp = new TempDir("vmcu-cli-");
const dir = tmp.path;
afterAll(() => tmp.remove());

const vmcu = (...args: string[]) => runStepline("vmcu", ...args);

describe("stepline vmcu command line", () => {
  test("--help prints the usage", () => {
    const r = vmcu("--help");
    expect(r.code).toBe(0);
    expect(r.out).toContain("--pty PATH");
  });

  test("--pty is required and unknown options are refused", () => {
    expect(vmcu().err).toContain("--pty PATH is required");
    const r = vmcu("--pty", join(dir, "p"), "--frobnicate");
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown option '--frobnicate'");
  });

  test("a clock that is not a whole number of MHz is refused", () => {
    const r = vmcu("--pty", join(dir, "p"), "--clock-freq", "12345678");
    expect(r.code).toBe(1);
    expect(r.err).toContain("clockFreq must be a whole number of MHz");
    expect(vmcu("--pty", join(dir, "p"), "--clock-freq", "fast").err).toContain("--clock-freq must be an integer");
  });

  test("hardware file errors name the file and the entry", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ endstops: [{ pin: "PB0", stepPin: "PA0", side: "left", triggerAt: 0 }] }));
    expect(vmcu("--pty", join(dir, "p"), "--hardware", bad).err).toContain(`${bad}: endstops[0].side must be "min" or "max"`);
    writeFileSync(bad, JSON.stringify({ heater: [] }));
    expect(vmcu("--pty", join(dir, "p"), "--hardware", bad).err).toContain(`${bad}: unknown key 'heater'`);
    writeFileSync(bad, "{ not json");
    expect(vmcu("--pty", join(dir, "p"), "--hardware", bad).err).toContain(`${bad}: invalid JSON`);
    expect(vmcu("--pty", join(dir, "p"), "--hardware", join(dir, "missing.json")).err).toContain("no such file");
  });

  test("an existing regular file at the pty path is never replaced", () => {
    const path = join(dir, "regular");
    writeFileSync(path, "keep me");
    const r = vmcu("--pty", path);
    expect(r.code).toBe(1);
    expect(r.err).toContain("exists and is not a symlink");
  });
});
