import { describe, expect, test } from "bun:test";
import { ConfigError, PrinterConfig } from "../../../src/core/config/index.ts";
import "../../../src/core/pins.ts";
import type { PinChip, PinParams } from "../../../src/core/pins.ts";
import { MESSAGE_READY, ModuleRegistry, Printer, moduleRegistry } from "../../../src/core/printer.ts";

const CFG = `
[fan]
pin: PA1
[printer]
kinematics: none
[mcu z]
serial: /dev/z
[heater_fan hotend]
pin: PA2
[mcu]
serial: /dev/ttyACM0
[palette2]
foo: 1
`;

/** A registry that logs the order modules are built in. */
function orderRegistry(log: string[]): ModuleRegistry {
  const r = new ModuleRegistry();
  const mcu = (c: import("../../../src/core/config/index.ts").ConfigSection) => (log.push(c.name), c.get("serial"), { serial: true });
  r.register("mcu", mcu, { stage: "mcu" });
  r.register("mcu ", mcu, { stage: "mcu" });
  r.register("printer", (c) => (log.push(c.name), c.get("kinematics"), {}), { stage: "toolhead" });
  r.register("fan", (c) => (log.push(c.name), c.get("pin"), {}));
  r.register("heater_fan ", (c) => (log.push(c.name), c.get("pin"), {}));
  r.register("gcode_move", (c) => (log.push(c.name), {}), { always: true });
  r.register("homing", (c) => (log.push(c.name), {}), { always: true, stage: "toolhead" });
  return r;
}

describe("module registry and config loading", () => {
  test("build order: mcu sections, extras in file order, toolhead, then defaults", () => {
    const log: string[] = [];
    const p = new Printer({ config: PrinterConfig.fromText(CFG), registry: orderRegistry(log) });
    expect(p.readConfig()).toEqual(["palette2"]);
    expect(log).toEqual(["mcu", "mcu z", "fan", "heater_fan hotend", "printer", "homing", "gcode_move"]);
    expect(p.lookupObjects("mcu").map(([n]) => n)).toEqual(["mcu", "mcu z"]);
    expect(p.lookupObjects("heater_fan").map(([n]) => n)).toEqual(["heater_fan hotend"]);
  });
  test("strict mode rejects unclaimed sections with Klipper's message", () => {
    const p = new Printer({ config: PrinterConfig.fromText(CFG), registry: orderRegistry([]), strict: true });
    expect(() => p.readConfig()).toThrow("Section 'palette2' is not a valid config section");
  });
  test("a section Klipper does not know either is an error even when not strict, as in Klipper", () => {
    const p = new Printer({ config: PrinterConfig.fromText(`${CFG}\n[heater_bedd]\nheater_pin: PA3\n`), registry: orderRegistry([]) });
    expect(() => p.readConfig()).toThrow("Section 'heater_bedd' is not a valid config section");
  });
  test("an option no module read is an error even when not strict", () => {
    const p = new Printer({ config: PrinterConfig.fromText(`${CFG}\n[fan]\nmax_powr: 1\n`), registry: orderRegistry([]) });
    expect(() => p.readConfig()).toThrow("Option 'max_powr' is not valid in section 'fan'");
  });
  test("keepGoing collects module failures and skips their options in the unused check", () => {
    const r = orderRegistry([]);
    r.register("bad", (c) => {
      c.getFloat("speed", undefined, { above: 0 });
      return {};
    });
    const p = new Printer({ config: PrinterConfig.fromText(`${CFG}\n[bad]\nspeed: -1\nother: 2\n`), registry: r });
    p.instantiateModules({ keepGoing: true });
    expect(p.loadFailures.map((f) => f.error.message)).toEqual(["Option 'speed' in section 'bad' must be above 0.0"]);
    expect(p.configProblems()).toEqual({ unsupportedSections: ["palette2"], unknownSections: [], invalidOptions: [] });
  });
  test("a section read by another module is claimed (e.g. stepper_x by the toolhead)", () => {
    const r = new ModuleRegistry();
    r.register("printer", (c) => (c.getSection("stepper_x").getFloat("rotation_distance"), {}), { stage: "toolhead" });
    const p = new Printer({ config: PrinterConfig.fromText("[printer]\n[stepper_x]\nrotation_distance: 40\n"), registry: r });
    expect(p.readConfig()).toEqual([]);
  });
  test("loadObject builds on demand once; unknown modules", () => {
    const r = new ModuleRegistry();
    let built = 0;
    r.register("widget", () => ({ n: ++built }));
    const p = new Printer({ config: PrinterConfig.fromText(""), registry: r });
    expect(p.loadObject("widget")).toEqual({ n: 1 });
    expect(p.loadObject("widget")).toEqual({ n: 1 });
    expect(() => p.loadObject("nothing")).toThrow("Unable to load module 'nothing'");
    expect(p.loadObject("nothing", null)).toBeNull();
  });
  test("registry keys: exact or 'prefix ' only", () => {
    const r = new ModuleRegistry();
    r.register("fan", () => 1);
    expect(r.find("fan")?.key).toBe("fan");
    expect(r.find("fan x")).toBeUndefined();
    expect(() => r.register("fan", () => 2)).toThrow("already registered");
    expect(() => r.register("two words", () => 2)).toThrow(ConfigError);
  });
  test("objects: add, lookup, duplicates", () => {
    const p = new Printer({ config: PrinterConfig.fromText(""), registry: new ModuleRegistry() });
    p.addObject("thing", { t: 1 });
    expect(p.lookupObject("thing")).toEqual({ t: 1 });
    expect(p.lookupObject("gcode")).toBe(p.gcode);
    expect(() => p.addObject("thing", {})).toThrow("Printer object 'thing' already created");
    expect(() => p.lookupObject("nope")).toThrow("Unknown config object 'nope'");
    expect(p.lookupObject("nope", null)).toBeNull();
  });
});

describe("pin modules from the default registry", () => {
  class Chip implements PinChip {
    setupPin(_t: string, p: PinParams) {
      return p;
    }
  }
  test("[board_pins] aliases and [duplicate_pin_override]", () => {
    expect(moduleRegistry.find("board_pins")).toBeDefined();
    const cfg = "[board_pins]\naliases: EXP1_1=PE9, EXP1_2=PE10\naliases_usb: USB_DP=<usb>\n[duplicate_pin_override]\npins: PA1\n";
    const p = new Printer({ config: PrinterConfig.fromText(cfg) });
    p.pins.registerChip("mcu", new Chip());
    expect(p.readConfig()).toEqual([]);
    expect(p.pins.getPinResolver("mcu").resolve("EXP1_2")).toBe("PE10");
    expect(() => p.pins.getPinResolver("mcu").updateCommand("x pin=USB_DP")).toThrow("pin USB_DP is reserved for <usb>");
    p.pins.lookupPin("PA1");
    expect(() => p.pins.lookupPin("PA1")).not.toThrow();
  });
});

describe("lifecycle", () => {
  test("start(): identify, connect, ready in order; gcode becomes ready", async () => {
    const p = new Printer({ config: PrinterConfig.fromText(""), registry: new ModuleRegistry() });
    const log: string[] = [];
    const out: string[] = [];
    p.gcode.registerOutputHandler((m) => out.push(m));
    p.registerEventHandler("klippy:mcu_identify", () => log.push("identify"));
    p.registerEventHandler("klippy:connect", async () => {
      await Promise.resolve();
      log.push("connect");
    });
    p.registerEventHandler("klippy:ready", () => log.push("ready"));
    await p.start();
    expect(log).toEqual(["identify", "connect", "ready"]);
    expect(p.getStateMessage()).toEqual([MESSAGE_READY, "ready"]);
    expect(out).toEqual(["// Klipper state: Ready"]);
  });
  test("a config error leaves the printer in the error state with Klipper's restart hint", async () => {
    const p = new Printer({ config: PrinterConfig.fromText("[fan]\nbogus: 1\n"), registry: orderRegistry([]) });
    let connected = false;
    p.registerEventHandler("klippy:connect", () => (connected = true));
    await p.start();
    const [msg, category] = p.getStateMessage();
    expect(category).toBe("error");
    expect(msg).toStartWith("Option 'pin' in section 'fan' must be specified\nOnce the underlying issue is corrected");
    expect(connected).toBe(false);
  });
  test("invokeShutdown runs every handler once, even if one throws", () => {
    const p = new Printer({ config: PrinterConfig.fromText(""), registry: new ModuleRegistry() });
    const calls: unknown[] = [];
    p.registerEventHandler("klippy:shutdown", () => {
      throw new Error("broken");
    });
    p.registerEventHandler("klippy:shutdown", () => calls.push("second"));
    p.registerEventHandler("klippy:analyze_shutdown", (msg: string) => calls.push(msg));
    p.invokeShutdown("MCU 'mcu' shutdown: Timer too close");
    p.invokeShutdown("again");
    expect(calls).toEqual(["second", "MCU 'mcu' shutdown: Timer too close"]);
    expect(p.isShutdown()).toBe(true);
    expect(p.getStateMessage()[1]).toBe("shutdown");
  });
  test("requestExit: first result wins, waitForExit resolves", async () => {
    const p = new Printer({ config: PrinterConfig.fromText(""), registry: new ModuleRegistry() });
    const waiting = p.waitForExit();
    p.requestExit("restart");
    p.requestExit("exit");
    expect(await waiting).toBe("restart");
    expect(p.runResult).toBe("restart");
  });
  test("batch input: entering the error state requests error_exit", async () => {
    const p = new Printer({ config: PrinterConfig.fromText("[fan]\n"), registry: orderRegistry([]), startArgs: { debuginput: "in.gcode" } });
    await p.start();
    expect(p.runResult).toBe("error_exit");
  });
});

describe("configfile object and restart commands", () => {
  test("SAVE_CONFIG writes pending values, then asks for a restart", async () => {
    const { TempDir } = await import("../../support/temp-dir.ts");
    const d = new TempDir();
    try {
      const path = d.write("printer.cfg", "[probe]\npin: PA1\n");
      const p = new Printer({ config: PrinterConfig.load(path), registry: new ModuleRegistry() });
      p.sendEvent("klippy:ready");
      const status = () => p.lookupObject<{ getStatus(): Record<string, unknown> }>("configfile").getStatus();
      expect(status()).toMatchObject({ config: { probe: { pin: "PA1" } }, save_config_pending: false });
      p.config.autosave.set("probe", "z_offset", 1.5);
      expect(status()).toMatchObject({ save_config_pending: true, save_config_pending_items: { probe: { z_offset: "1.5" } } });
      await p.gcode.runScript("SAVE_CONFIG");
      expect(p.runResult).toBe("restart");
      expect(PrinterConfig.load(path).rawConfig()).toEqual({ probe: { pin: "PA1", z_offset: "1.5" } });
    } finally {
      d.remove();
    }
  });
  test("RESTART settles the toolhead first and reports the last move time", async () => {
    const p = new Printer({ config: PrinterConfig.fromText(""), registry: new ModuleRegistry() });
    const log: string[] = [];
    p.addObject("toolhead", {
      getLastMoveTime: () => 12.5,
      dwell: (t: number) => void log.push(`dwell ${t}`),
      waitMoves: async () => void log.push("wait"),
    });
    p.registerEventHandler("gcode:request_restart", (t: number) => log.push(`event ${t}`));
    p.sendEvent("klippy:ready");
    await p.gcode.runScript("FIRMWARE_RESTART");
    expect(log).toEqual(["event 12.5", "dwell 0.5", "wait"]);
    expect(p.runResult).toBe("firmware_restart");
  });
});
