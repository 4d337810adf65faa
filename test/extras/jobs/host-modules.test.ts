// [delayed_gcode], [save_variables], [respond] and [display_status] on a real printer (a
// toolhead on a batch-mode MCU, the live reactor).
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DisplayStatus } from "../../../src/extras/jobs/display-status.ts";
import { formatVariablesFile } from "../../../src/extras/jobs/save-variables.ts";
import { parsePyLiteral } from "../../../src/extras/macros/python-literal.ts";
import { hasPython } from "../macros/oracle.ts";
import { CARTESIAN_CFG, type Rig, startPrinter } from "../../support/printer-rig.ts";
import { TempDir } from "../../support/temp-dir.ts";

const rigs: Rig[] = [];
const dirs: TempDir[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
  for (const d of dirs.splice(0)) d.remove();
});

async function printer(cfg: string, files: Record<string, string> = {}): Promise<Rig> {
  const r = await startPrinter(`${CARTESIAN_CFG}\n[respond]\n${cfg}`, { files });
  rigs.push(r);
  return r;
}

describe("delayed_gcode", () => {
  test("initial_duration runs it after ready; UPDATE_DELAYED_GCODE schedules and repeats it from inside", async () => {
    const r = await printer(`
[delayed_gcode STARTUP]
initial_duration: 0.02
gcode:
  RESPOND MSG="startup ran"

[gcode_macro COUNT]
variable_n: 0
gcode:

[delayed_gcode TICK]
gcode:
  {% set n = printer["gcode_macro COUNT"].n + 1 %}
  SET_GCODE_VARIABLE MACRO=COUNT VARIABLE=n VALUE={n}
  RESPOND MSG="tick {n}"
  {% if n < 3 %}
    UPDATE_DELAYED_GCODE ID=TICK DURATION=0.01
  {% endif %}
`);
    await r.waitOutput(/^echo: startup ran$/);
    expect(r.out.filter((l) => l.startsWith("echo: tick"))).toEqual([]);
    await r.run("UPDATE_DELAYED_GCODE ID=TICK DURATION=0.01");
    await r.waitOutput(/^echo: tick 3$/);
    // It stopped repeating once the script no longer asked
    const reactor = r.reactor;
    await reactor.pause(reactor.monotonic() + 0.05);
    expect(r.out.filter((l) => l.startsWith("echo: tick"))).toEqual(["echo: tick 1", "echo: tick 2", "echo: tick 3"]);
    expect(r.out.filter((l) => l === "echo: startup ran").length).toBe(1);
  });

  test("DURATION=0 cancels a pending run; bad IDs and durations are errors", async () => {
    const r = await printer("[delayed_gcode LATER]\ngcode:\n  RESPOND MSG=later\n");
    await r.run("UPDATE_DELAYED_GCODE ID=LATER DURATION=0.02\nUPDATE_DELAYED_GCODE ID=LATER DURATION=0");
    await r.reactor.pause(r.reactor.monotonic() + 0.06);
    expect(r.out).not.toContain("echo: later");
    await expect(r.run("UPDATE_DELAYED_GCODE ID=NOPE DURATION=1")).rejects.toThrow("The value 'NOPE' is not valid for ID");
    await expect(r.run("UPDATE_DELAYED_GCODE ID=LATER DURATION=-1")).rejects.toThrow("DURATION must have minimum of 0");
  });
});

describe("save_variables", () => {
  const VARS = "[Variables]\nfoo = 'bar'\nnum = 1.5\n";

  test("SAVE_VARIABLE writes Klipper's file format and survives a restart", async () => {
    const cfg = "[save_variables]\nfilename: ${TMP}/vars.cfg\n[gcode_macro SHOW]\ngcode:\n  RESPOND MSG=\"{printer.save_variables.variables}\"\n";
    const r = await printer(cfg, { "vars.cfg": VARS });
    expect(await r.run("SHOW")).toEqual(["echo: {'foo': 'bar', 'num': 1.5}"]);
    await r.run(`SAVE_VARIABLE VARIABLE=count VALUE=3\nSAVE_VARIABLE VARIABLE=spot VALUE="{'x': 10.0, 'ok': True, 'tags': ['a', None]}"`);
    const path = join(r.dir.path, "vars.cfg");
    const text = readFileSync(path, "utf8");
    expect(text).toBe("[Variables]\ncount = 3\nfoo = 'bar'\nnum = 1.5\nspot = {'x': 10.0, 'ok': True, 'tags': ['a', None]}\n\n");
    // A restarted printer reads the same values back
    const copy = new TempDir();
    dirs.push(copy);
    writeFileSync(join(copy.path, "vars.cfg"), text);
    const again = await printer(cfg.replace("${TMP}", copy.path));
    expect(await again.run("SHOW")).toEqual(["echo: {'count': 3, 'foo': 'bar', 'num': 1.5, 'spot': {'x': 10.0, 'ok': True, 'tags': ['a', None]}}"]);
  });

  test.skipIf(!hasPython)("the file is what Python's configparser writes for the same values", () => {
    const vars = { b_list: "[1, 2.5, 'x']", a_str: "'it''s'", c_float: "10.0", d_dict: "{'k': None}" };
    const parsed = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, parsePyLiteral(v)]));
    const script = [
      "import ast, configparser, io, json, sys",
      "c = configparser.ConfigParser()",
      "c.add_section('Variables')",
      "for k, v in sorted(json.load(sys.stdin).items()): c.set('Variables', k, repr(ast.literal_eval(v)))",
      "f = io.StringIO(); c.write(f); sys.stdout.write(f.getvalue())",
    ].join("\n");
    const proc = Bun.spawnSync(["python3", "-c", script], { stdin: new TextEncoder().encode(JSON.stringify(vars)) });
    expect(formatVariablesFile(parsed)).toBe(proc.stdout.toString());
  });

  test("bad names, values and files are clear errors", async () => {
    const r = await printer("[save_variables]\nfilename: ${TMP}/new.cfg\n");
    // A missing file is created empty
    expect(readFileSync(join(r.dir.path, "new.cfg"), "utf8")).toBe("");
    await expect(r.run("SAVE_VARIABLE VARIABLE=Bad VALUE=1")).rejects.toThrow("VARIABLE must not contain upper case");
    await expect(r.run("SAVE_VARIABLE VARIABLE=x VALUE=abc")).rejects.toThrow("Unable to parse 'abc' as a literal");
    await expect(r.run("SAVE_VARIABLE VARIABLE=x")).rejects.toThrow("missing VALUE");
    await expect(startPrinter(CARTESIAN_CFG + "[save_variables]\nfilename: ${TMP}/v.cfg\n", { files: { "v.cfg": "[Variables]\nx = nope\n" } })).rejects.toThrow(
      /Unable to parse existing variable file: .*v\.cfg: variable 'x': malformed node or string: name 'nope'/,
    );
  });
});

describe("respond", () => {
  test("M118 and RESPOND with types and prefixes", async () => {
    const r = await printer("");
    expect(await r.run("M118 Hello there")).toEqual(["echo: Hello there"]);
    expect(await r.run("RESPOND MSG=plain")).toEqual(["echo: plain"]);
    expect(await r.run('RESPOND TYPE=command MSG="to the host"')).toEqual(["// to the host"]);
    expect(await r.run("RESPOND TYPE=error MSG=bad")).toEqual(["!! bad"]);
    expect(await r.run("RESPOND TYPE=echo_no_space MSG=tight")).toEqual(["echo:tight"]);
    expect(await r.run("RESPOND PREFIX=note: MSG=x")).toEqual(["note: x"]);
    await expect(r.run("RESPOND TYPE=shout MSG=x")).rejects.toThrow("RESPOND TYPE 'shout' is invalid. Must be one of 'echo', 'command', or 'error'");
  });

  test("default_type and default_prefix", async () => {
    const r = await startPrinter(`${CARTESIAN_CFG}\n[respond]\ndefault_type: command\n`);
    rigs.push(r);
    expect(await r.run("M118 hi")).toEqual(["// hi"]);
    const p = await startPrinter(`${CARTESIAN_CFG}\n[respond]\ndefault_type: error\ndefault_prefix: >>\n`);
    rigs.push(p);
    expect(await p.run("M118 hi\nRESPOND MSG=yo")).toEqual([">> hi", ">> yo"]);
    await expect(startPrinter(`${CARTESIAN_CFG}\n[respond]\ndefault_type: loud\n`)).rejects.toThrow("Choice 'loud' for option 'default_type' in section 'respond' is not a valid choice");
  });
});

describe("display_status", () => {
  test("M117 / SET_DISPLAY_TEXT set the message; M73 sets progress, which expires after 5 s when not printing", async () => {
    const r = await printer("[display_status]\n");
    const display = r.printer.lookupObject<DisplayStatus>("display_status");
    const now = () => r.reactor.monotonic();
    expect(display.getStatus(now())).toEqual({ progress: 0, message: null });
    await r.run("M117 Printing part 1");
    expect(display.getStatus(now()).message).toBe("Printing part 1");
    await r.run("M117");
    expect(display.getStatus(now()).message).toBeNull();
    await r.run('SET_DISPLAY_TEXT MSG="hello world"');
    expect(display.getStatus(now()).message).toBe("hello world");
    await r.run("SET_DISPLAY_TEXT");
    expect(display.getStatus(now()).message).toBeNull();
    await r.run("M73 P42.5");
    expect(display.getStatus(now()).progress).toBe(0.425);
    await r.run("M73 P150");
    expect(display.getStatus(now()).progress).toBe(1);
    await r.run("M73");
    expect(display.getStatus(now()).progress).toBe(1);
    // Not printing (idle_timeout is not "Printing"): after 5 s the M73 value is dropped
    expect(display.getStatus(now() + 5.5).progress).toBe(0);
  });
});
