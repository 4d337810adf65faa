import { describe, expect, test } from "bun:test";
import { PrinterConfig } from "../../../src/core/config/index.ts";
import { type GCodeCommand, GCodeError, GCodeInput } from "../../../src/core/gcode/index.ts";
import { ModuleRegistry, Printer } from "../../../src/core/printer.ts";
import { rejectionMessage } from "../../support/errors.ts";

/** A printer with no modules; `ready` sends klippy:ready. Output lines are collected. */
function setup(opts: { ready?: boolean; startArgs?: Record<string, unknown> } = {}) {
  const printer = new Printer({ config: PrinterConfig.fromText(""), registry: new ModuleRegistry(), startArgs: opts.startArgs });
  const out: string[] = [];
  printer.gcode.registerOutputHandler((m) => out.push(m));
  if (opts.ready ?? true) printer.sendEvent("klippy:ready");
  out.length = 0;
  return { printer, gcode: printer.gcode, out };
}

const scriptError = (run: Promise<void>) => rejectionMessage(GCodeError, run);

describe("dispatching", () => {
  test("classic handler gets the tokenised parameters; ok after each input line", async () => {
    const { gcode, out } = setup();
    const seen: Record<string, string>[] = [];
    gcode.register("G1", (g) => void seen.push({ ...g.params }));
    await gcode.processCommands(["G1 X10 Y-2.5 F3000", "N4 G1 E1*91"], true);
    expect(seen).toEqual([{ G: "1", X: "10", Y: "-2.5", F: "3000" }, { N: "4", G: "1", E: "1", "*": "91" }]);
    expect(out).toEqual(["ok", "ok"]);
  });
  test("extended commands get NAME=VALUE parameters with quoting; keys upper-cased, values kept", async () => {
    const { gcode } = setup();
    let params: Record<string, string> = {};
    gcode.register("SET_LED", (g) => void (params = { ...g.params }));
    await gcode.runScript('set_led led=My_Led red=0.5 msg="two words" empty=');
    expect(params).toEqual({ LED: "My_Led", RED: "0.5", MSG: "two words", EMPTY: "" });
  });
  test("malformed extended parameters", async () => {
    const { gcode, out } = setup();
    gcode.register("SET_LED", () => {});
    expect(await scriptError(gcode.runScript("SET_LED RED"))).toBe("Malformed command 'SET_LED RED'");
    expect(await scriptError(gcode.runScript('SET_LED A="x'))).toBe("Malformed command 'SET_LED A=\"x'");
    expect(out).toEqual(["!! Malformed command 'SET_LED RED'", "!! Malformed command 'SET_LED A=\"x'"]);
  });
  test("unknown commands, and the ones Klipper silently accepts", async () => {
    const { gcode, out } = setup();
    await gcode.processCommands(["FOO_BAR X=1", "G12345", "M104 S0", "M140 S0", "M107", "M106 S0", "M106 S255", "M21", "M105", ""], true);
    expect(out).toEqual(['// Unknown command:"FOO_BAR"', "ok", '// Unknown command:"G12345"', "ok", "ok", "ok", "ok", "ok", '// Unknown command:"M106"', "ok", "ok", "ok T:0", "ok"]);
  });
  test("before ready only early commands run; others report the state", async () => {
    const { gcode, out } = setup({ ready: false });
    gcode.register("G1", () => {});
    await gcode.processCommands(["G1 X1", "M105"], true);
    expect(out).toEqual([
      "// Printer is not ready\n// The klippy host software is attempting to connect.  Please\n// retry in a few moments.",
      "!! Printer is not ready",
      "ok",
      "ok T:0",
    ]);
  });
  test("a shutdown drops back to the early commands", async () => {
    const { printer, gcode, out } = setup();
    gcode.register("G1", () => {});
    gcode.register("M18", () => {}, { whenNotReady: true });
    printer.invokeShutdown("boom");
    expect(out).toEqual(["// Klipper state: Shutdown"]);
    out.length = 0;
    await gcode.processCommands(["M18", "G1 X1"], true);
    expect(out).toEqual(["ok", "!! boom", "ok"]);
  });
  test("M117/M118 text starting with digits reaches the M117 handler with raw text", async () => {
    const { gcode } = setup();
    const texts: string[] = [];
    gcode.register("M117", (g) => void texts.push(`${g.getCommand()}|${g.getRawCommandParameters()}`));
    await gcode.runScript("M117 Hello World ; note\nM117 1.5 mm left\nN10 M117 Line numbered*33\nM117");
    expect(texts).toEqual(["M117|Hello World ; note", "M117|1.5 mm left", "M117|Line numbered", "M117|"]);
  });
  test("ECHO and M115", async () => {
    const { gcode, out } = setup({ startArgs: { software_version: "v1.2" } });
    await gcode.processCommands(["M115"], true);
    await gcode.runScript("M115");
    expect(out).toEqual(["ok FIRMWARE_NAME:Klipper FIRMWARE_VERSION:v1.2", "// FIRMWARE_NAME:Klipper FIRMWARE_VERSION:v1.2"]);
  });
  test("runScript stops at the first error and throws it; input processing reports and goes on", async () => {
    const { gcode, out, printer } = setup();
    const ran: string[] = [];
    let errors = 0;
    printer.registerEventHandler("gcode:command_error", () => errors++);
    gcode.register("G1", (g) => {
      ran.push(g.getCommandline());
      g.getFloat("X");
    });
    expect(await scriptError(gcode.runScript("G1 X1\nG1 X=a\nG1 X3"))).toBe("Error on 'G1 X=a': unable to parse =");
    expect(ran).toEqual(["G1 X1", "G1 X=a"]);
    ran.length = 0;
    out.length = 0;
    await gcode.processCommands(["G1 X1.2.3", "G1 Xa", "G1 X3"], true);
    expect(ran).toEqual(["G1 X1.2.3", "G1 Xa", "G1 X3"]);
    // "Xa" is one parameter named XA, so X is missing
    expect(out).toEqual(["!! Error on 'G1 X1.2.3': unable to parse 1.2.3", "ok", "!! Error on 'G1 Xa': missing X", "ok", "ok"]);
    expect(errors).toBe(3);
  });
  test("an internal error shuts the printer down", async () => {
    const { gcode, printer, out } = setup();
    gcode.register("G1", () => {
      throw new TypeError("bug");
    });
    await gcode.processCommands(["G1 X1"], true);
    expect(printer.getStateMessage()).toEqual(['Internal error on command:"G1"', "shutdown"]);
    expect(out).toEqual(["// Klipper state: Shutdown", '!! Internal error on command:"G1"', "ok"]);
  });
  test("multi-line errors: all lines as info, first as error", () => {
    const { gcode, out } = setup();
    gcode.respondError("first\nsecond");
    expect(out).toEqual(["// first\n// second", "!! first"]);
  });
  test("batch input: an error requests error_exit", async () => {
    const { gcode, printer } = setup({ startArgs: { debuginput: "in.gcode" } });
    await gcode.processCommands(["FOO=1 BAR"], true);
    expect(printer.runResult).toBeNull();
    gcode.register("G1", (g) => void g.getInt("S"));
    await gcode.processCommands(["G1 S1.5"], true);
    expect(printer.runResult).toBe("error_exit");
  });
});

describe("parameter getters", () => {
  const cmd = async (line: string, fn: (g: GCodeCommand) => unknown): Promise<unknown> => {
    const { gcode } = setup();
    let result: unknown;
    gcode.register(line.split(" ")[0]!.toUpperCase(), (g) => void (result = fn(g)));
    await gcode.runScript(line);
    return result;
  };
  test("values and defaults", async () => {
    expect(await cmd("G1 X1.5 S3", (g) => [g.getFloat("X"), g.getInt("S"), g.getFloat("Y", 7), g.get("S"), g.getInt("Z", null)])).toEqual([1.5, 3, 7, "3", null]);
    expect(await cmd("SET_X SPEED=1e2", (g) => g.getFloat("SPEED", undefined, { above: 0 }))).toBe(100);
  });
  test("errors use Klipper's wording", async () => {
    const e = (line: string, fn: (g: GCodeCommand) => unknown) => scriptError(cmd(line, fn) as Promise<void>);
    expect(await e("G1 X1", (g) => g.getFloat("Y"))).toBe("Error on 'G1 X1': missing Y");
    expect(await e("G1 S1.5", (g) => g.getInt("S"))).toBe("Error on 'G1 S1.5': unable to parse 1.5");
    expect(await e("G1 S-1", (g) => g.getInt("S", 0, { minval: 0 }))).toBe("Error on 'G1 S-1': S must have minimum of 0");
    expect(await e("G1 S300", (g) => g.getInt("S", 0, { maxval: 255 }))).toBe("Error on 'G1 S300': S must have maximum of 255");
    expect(await e("SET_X V=0", (g) => g.getFloat("V", undefined, { above: 0 }))).toBe("Error on 'SET_X V=0': V must be above 0.0");
    expect(await e("SET_X V=1", (g) => g.getFloat("V", undefined, { below: 1 }))).toBe("Error on 'SET_X V=1': V must be below 1.0");
    expect(await e("SET_X V=", (g) => g.getFloat("V"))).toBe("Error on 'SET_X V=': unable to parse ");
  });
});

describe("registration", () => {
  test("names are validated; duplicates refused; null removes", () => {
    const { gcode } = setup();
    expect(() => gcode.register("set_x", () => {})).toThrow("Can't register 'set_x' as it is an invalid name");
    expect(() => gcode.register("A1B", () => {})).toThrow("Can't register 'A1B' as it is an invalid name");
    expect(() => gcode.register("1ABC", () => {})).toThrow("Can't register '1ABC' as it is an invalid name");
    gcode.register("MY_CMD", () => {});
    expect(() => gcode.register("MY_CMD", () => {})).toThrow("gcode command MY_CMD already registered");
    const h = () => {};
    gcode.register("G4", h);
    expect(gcode.register("G4", null)).toBe(h);
    expect(gcode.isRegistered("G4")).toBe(false);
  });
  test("mux commands route by key value, with a default and helpful errors", async () => {
    const { gcode } = setup();
    const hits: string[] = [];
    gcode.registerMux("SET_PRESSURE_ADVANCE", "EXTRUDER", "extruder", () => void hits.push("e0"), "Set pressure advance");
    gcode.registerMux("SET_PRESSURE_ADVANCE", "EXTRUDER", "extruder1", () => void hits.push("e1"));
    await gcode.runScript("SET_PRESSURE_ADVANCE EXTRUDER=extruder1 ADVANCE=0.1\nSET_PRESSURE_ADVANCE EXTRUDER=extruder");
    expect(hits).toEqual(["e1", "e0"]);
    expect(await scriptError(gcode.runScript("SET_PRESSURE_ADVANCE EXTRUDER=ext"))).toBe("The value 'ext' is not valid for EXTRUDER. Did you mean 'extruder1'?");
    expect(await scriptError(gcode.runScript("SET_PRESSURE_ADVANCE EXTRUDER=zz"))).toBe("The value 'zz' is not valid for EXTRUDER. Options: 'extruder', 'extruder1'");
    expect(await scriptError(gcode.runScript("SET_PRESSURE_ADVANCE"))).toBe("Error on 'SET_PRESSURE_ADVANCE': missing EXTRUDER");
    gcode.registerMux("SET_PRESSURE_ADVANCE", "EXTRUDER", null, () => void hits.push("default"));
    await gcode.runScript("SET_PRESSURE_ADVANCE ADVANCE=0.2");
    expect(hits.at(-1)).toBe("default");
    expect(() => gcode.registerMux("SET_PRESSURE_ADVANCE", "STEPPER", "x", () => {})).toThrow("mux command SET_PRESSURE_ADVANCE STEPPER x may have only one key (EXTRUDER)");
    expect(() => gcode.registerMux("SET_PRESSURE_ADVANCE", "EXTRUDER", "extruder", () => {})).toThrow("already registered");
  });
  test("HELP lists described commands sorted; status lists all available commands", async () => {
    const { gcode, out } = setup();
    gcode.register("ZZ_LAST", () => {}, { desc: "last one" });
    gcode.register("AA_FIRST", () => {}, "first one");
    gcode.register("G1", () => {});
    await gcode.runScript("HELP");
    const lines = out[0]!.split("\n");
    expect(lines[0]).toBe("// Available extended commands:");
    expect(lines[1]).toBe("// AA_FIRST  : first one");
    expect(lines.at(-1)).toBe("// ZZ_LAST   : last one");
    expect(lines.map((l) => l.slice(3).split(/\s*:/)[0])).toEqual(["Available extended commands", "AA_FIRST", "FIRMWARE_RESTART", "HELP", "RESTART", "SAVE_CONFIG", "STATUS", "ZZ_LAST"]);
    const status = gcode.getStatus().commands;
    expect(status.G1).toEqual({});
    expect(status.AA_FIRST).toEqual({ help: "first one" });
  });
});

describe("concurrency and input", () => {
  test("scripts run one at a time under the mutex", async () => {
    const { gcode } = setup();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    gcode.register("SLOW", async () => {
      log.push("slow start");
      await gate;
      log.push("slow end");
    });
    gcode.register("FAST", () => void log.push("fast"));
    const a = gcode.runScript("SLOW");
    const b = gcode.runScript("FAST");
    await Promise.resolve();
    release();
    await Promise.all([a, b]);
    expect(log).toEqual(["slow start", "slow end", "fast"]);
  });
  test("GCodeInput splits lines across chunks, acks each, and acts on M112 at once", async () => {
    const { printer, gcode, out } = setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const log: string[] = [];
    let started!: () => void;
    const g4Started = new Promise<void>((r) => (started = r));
    gcode.register("G4", async () => {
      started();
      await gate;
      log.push(`G4 done, shutdown=${printer.isShutdown()}`);
    });
    const input = new GCodeInput(gcode);
    const first = input.feed("G4 P1");
    const second = input.feed("000\nM1");
    expect(input.unterminated).toBe("M1");
    await g4Started;
    const third = input.feed("12\n");
    // M112 was acted on while G4 is still waiting
    expect(printer.getStateMessage()).toEqual(["Shutdown due to M112 command", "shutdown"]);
    release();
    await Promise.all([first, second, third]);
    expect(log).toEqual(["G4 done, shutdown=true"]);
    expect(out).toEqual(["// Klipper state: Shutdown", "ok", "ok"]);
  });
});
