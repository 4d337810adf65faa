import { describe, expect, test } from "bun:test";
import { dictionaryOptions, parseArgs, UsageError } from "../src/cli/args.ts";
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
  test("a subcommand's usage error names the command, the problem and shows its usage", () => {
    const r = runStepline("batch", "printer.cfg", "-i");
    expect(r.code).toBe(2);
    expect(r.err).toContain("stepline batch: option -i needs a value\nusage: stepline batch");
    expect(runStepline("parsedump", "a.dict", "b.serial", "c").err).toContain("stepline parsedump: unexpected argument 'c'");
    expect(runStepline("check-config", "--frobnicate").err).toContain("stepline check-config: unknown option '--frobnicate'");
  });
});

describe("option parsing (src/cli/args.ts)", () => {
  const specs = {
    config: { names: ["--config", "-c"] },
    dict: { names: ["-d", "--dictionary"] },
    json: { names: ["--json"], flag: true },
  };
  const usageError = (argv: string[], max = 1): string => {
    try {
      parseArgs(argv, specs, max);
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      return (e as Error).message;
    }
    throw new Error(`no error for ${argv.join(" ")}`);
  };

  test("--opt value, --opt=value, -o value and -oVALUE all give the value; the last one wins", () => {
    expect(parseArgs(["--config", "a.cfg"], specs).get("config")).toBe("a.cfg");
    expect(parseArgs(["--config=b=c.cfg"], specs).get("config")).toBe("b=c.cfg");
    expect(parseArgs(["-c", "d.cfg"], specs).get("config")).toBe("d.cfg");
    expect(parseArgs(["-ce.cfg"], specs).get("config")).toBe("e.cfg");
    expect(parseArgs(["-c", "x", "--config", "y"], specs).get("config")).toBe("y");
    expect(parseArgs([], specs).get("config")).toBeUndefined();
  });

  test("repeated options keep every value in order; switches and positionals", () => {
    const p = parseArgs(["-d", "a.dict", "cfg", "--json", "--dictionary=z=b.dict"], specs, 1);
    expect(p.all("dict")).toEqual(["a.dict", "z=b.dict"]);
    expect(dictionaryOptions(p.all("dict"))).toEqual({ mcu: "a.dict", z: "b.dict" });
    expect(p.has("json")).toBe(true);
    expect(p.has("config")).toBe(false);
    expect(p.positional).toEqual(["cfg"]);
  });

  test("unknown options, missing values and extra arguments are clear errors", () => {
    expect(usageError(["--frobnicate"])).toBe("unknown option '--frobnicate'");
    expect(usageError(["-x"])).toBe("unknown option '-x'");
    expect(usageError(["--config"])).toBe("option --config needs a value");
    expect(usageError(["--config", "--json"])).toBe("option --config needs a value");
    expect(usageError(["--config="])).toBe("option --config needs a value");
    expect(usageError(["--json=yes"])).toBe("option --json takes no value");
    expect(usageError(["a", "b"])).toBe("unexpected argument 'b'");
    expect(usageError(["a"], 0)).toBe("unexpected argument 'a'");
  });
});
