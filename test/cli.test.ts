import { describe, expect, test } from "bun:test";
import { runStepline } from "./support/cli.ts";


describe("command line", () => {
  test("--version prints the package version", () => {
    const r = runStepline("--version");
    expect(r.out).toMatch(/^stepline \d+\.\d+\.\d+/);
    expect(r.code).toBe(0);
  });
  test("--help lists every subcommand of the architecture sketch", () => {
    const { out } = runStepline("--help");
    for (const c of ["run", "batch", "parsedump", "vmcu", "check-config"]) expect(out).toContain(`  ${c} `);
  });
  test("an unknown command is a clear error", () => {
    const r = runStepline("frobnicate");
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown command 'frobnicate'");
  });
});
