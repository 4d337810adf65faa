import { describe, expect, test } from "bun:test";

const main = new URL("../src/main.ts", import.meta.url).pathname;

describe("command line", () => {
  test("--version prints the package version", () => {
    const r = Bun.spawnSync([process.execPath, main, "--version"]);
    expect(r.stdout.toString()).toMatch(/^stepline \d+\.\d+\.\d+/);
    expect(r.exitCode).toBe(0);
  });
  test("--help lists every subcommand of the architecture sketch", () => {
    const out = Bun.spawnSync([process.execPath, main, "--help"]).stdout.toString();
    for (const c of ["run", "batch", "parsedump", "vmcu", "check-config"]) expect(out).toContain(`  ${c} `);
  });
  test("an unknown command is a clear error", () => {
    const r = Bun.spawnSync([process.execPath, main, "frobnicate"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.toString()).toContain("unknown command 'frobnicate'");
  });
});
