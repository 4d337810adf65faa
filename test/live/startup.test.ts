// The built-in virtual printer comes up on the in-process virtual MCU: data folder and
// printer.cfg on first run, ready state, status objects and subscriptions, clear errors for bad
// commands, RESTART and FIRMWARE_RESTART back to ready.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startLivePrinter } from "../../src/live/live-printer.ts";
import { TempDir } from "../support/temp-dir.ts";
import { startTestPrinter, type TestPrinter } from "./helpers.ts";

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

describe("first run of the built-in virtual printer", () => {
  test("creates the data folder, writes printer.cfg once and keeps the user's edits", async () => {
    const tmp = new TempDir("stepline-data-");
    const root = tmp.path;
    try {
      const lp = await startLivePrinter({ dataDir: root, log: quiet, logFile: true });
      const cfgPath = join(root, "config", "printer.cfg");
      try {
        for (const d of ["config", "gcodes", "logs"]) expect(existsSync(join(root, d))).toBe(true);
        const logText = readFileSync(join(root, "logs", "stepline.log"), "utf8");
        expect(logText).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO Wrote the virtual printer's config to /);
        expect(logText).toMatch(/Z INFO Printer is ready\n$/);
        expect(lp.printer.getStateMessage()[1]).toBe("ready");
        expect(lp.configPath).toBe(cfgPath);
        // The SD card is the data folder's gcodes/
        expect(readFileSync(cfgPath, "utf8")).toContain(`path: ${join(root, "gcodes")}`);
      } finally {
        await lp.stop();
      }
      writeFileSync(cfgPath, readFileSync(cfgPath, "utf8").replace("max_velocity: 300", "max_velocity: 123"));
      const again = await startLivePrinter({ dataDir: root, log: quiet });
      try {
        expect(again.status.query({ toolhead: ["max_velocity"] }).toolhead).toEqual({ max_velocity: 123 });
      } finally {
        await again.stop();
      }
      // Stopped cleanly: no timer of the printer left to run
      expect(again.reactor.activeTimers).toBe(0);
    } finally {
      tmp.remove();
    }
  });
});

describe("a printer whose MCU cannot be reached", () => {
  test("stays up in the error state, naming the port, and RESTART tries again", async () => {
    const lp = await startLivePrinter({ configText: "[mcu]\nserial: /dev/ttyNOPE0\n\n[printer]\nkinematics: none\nmax_velocity: 1\nmax_accel: 1\n", log: quiet });
    try {
      const [msg, category] = lp.printer.getStateMessage();
      expect(category).toBe("error");
      expect(msg).toStartWith("[mcu]: cannot open serial port '/dev/ttyNOPE0'");
      const first = lp.printer;
      const restarted = new Promise<void>((resolve) => lp.onInstance(() => resolve()));
      await lp.printer.gcode.runScript("RESTART");
      await restarted;
      await lp.whenStarted();
      expect(lp.printer).not.toBe(first);
      expect(lp.printer.getStateMessage()[0]).toStartWith("[mcu]: cannot open serial port '/dev/ttyNOPE0'");
    } finally {
      await lp.stop();
    }
  });
});

describe("a config that cannot be read", () => {
  test("leaves the printer in the error state with the parse error", async () => {
    const lp = await startLivePrinter({ configText: "[mcu]\nserial: /dev/null\n  continued\n[printer\n", configName: "broken.cfg", log: quiet });
    try {
      const [msg, category] = lp.printer.getStateMessage();
      expect(category).toBe("error");
      expect(msg).toContain("broken.cfg");
      expect(lp.status.query({ webhooks: ["state"] }).webhooks).toEqual({ state: "error" });
    } finally {
      await lp.stop();
    }
  });
});

describe("a running virtual printer", () => {
  let p: TestPrinter;
  beforeAll(async () => {
    p = await startTestPrinter({ logCommands: true });
  });
  afterAll(async () => {
    await p.close();
  });

  test("is ready and reports Klipper's status objects", async () => {
    const s = p.lp.status.query({ webhooks: null, mcu: ["mcu_constants", "mcu_version"], configfile: ["settings", "save_config_pending", "warnings"], system_stats: null, nosuch: null });
    expect(s.configfile!.save_config_pending).toBe(false);
    expect(s.configfile!.warnings).toEqual([]);
    expect(s.webhooks).toEqual({ state: "ready", state_message: "Printer is ready" });
    expect((s.mcu!.mcu_constants as Record<string, unknown>).CLOCK_FREQ).toBe(72_000_000);
    expect(s.mcu!.mcu_version).toStartWith("stepline-vmcu");
    const settings = s.configfile!.settings as Record<string, Record<string, unknown>>;
    expect(settings.printer!.max_velocity).toBe(300);
    expect(settings.stepper_z!.position_max).toBe(200);
    const stats = s.system_stats as { sysload: number; cputime: number; memavail: number };
    expect(stats.cputime).toBeGreaterThan(0);
    expect(stats.memavail).toBeGreaterThan(0);
    expect(s.nosuch).toEqual({});
    expect(p.lp.status.objectNames()).toEqual(expect.arrayContaining(["webhooks", "system_stats", "query_endstops", "heater_bed", "toolhead"]));
  });

  test("subscribers hear about changed fields only", async () => {
    const changes: Record<string, Record<string, unknown>>[] = [];
    const sub = p.lp.status.subscribe({ heater_bed: ["target"], webhooks: ["state"] }, (c) => changes.push(c));
    try {
      expect(sub.status).toEqual({ heater_bed: { target: 0 }, webhooks: { state: "ready" } });
      await p.run("SET_HEATER_TEMPERATURE HEATER=heater_bed TARGET=30");
      await p.until(() => changes.length > 0, "a status change");
      expect(changes[0]).toEqual({ heater_bed: { target: 30 } });
      await p.run("SET_HEATER_TEMPERATURE HEATER=heater_bed TARGET=0");
      await p.until(() => changes.length > 1, "a second status change");
      expect(changes[1]).toEqual({ heater_bed: { target: 0 } });
    } finally {
      sub.unsubscribe();
    }
  });

  test("QUERY_ENDSTOPS asks the MCU for every endstop", async () => {
    const out = await p.run("QUERY_ENDSTOPS");
    // The carriage starts mid-travel: every switch open
    expect(out).toContain("stepper_x:open stepper_y:open stepper_z:open");
    expect(p.lp.status.query({ query_endstops: null }).query_endstops).toEqual({ last_query: { stepper_x: 0, stepper_y: 0, stepper_z: 0 } });
    const queries = p.lp.virtualMcus.get("mcu")!.executed.filter((c) => c.name === "endstop_query_state");
    expect(queries.length).toBe(3);
  });

  test("bad input gets clear errors and the printer stays ready", async () => {
    expect(await p.run("FOO_BAR X=1")).toContain('// Unknown command:"FOO_BAR"');
    expect(await p.runError("SET_HEATER_TEMPERATURE HEATER=nosuch TARGET=10")).toContain("nosuch");
    expect(await p.runError("M104 S999")).toContain("Requested temperature (999.0) out of range (0.0:280.0)");
    expect(await p.runError("G1 X=abc")).toContain("Unable to parse move 'G1 X=abc'");
    expect(await p.runError("SDCARD_PRINT_FILE FILENAME=missing.gcode")).toContain("Unable to open file");
    expect(await p.runError("G1 X10")).toContain("Must home axis first");
    expect(p.lp.printer.getStateMessage()[1]).toBe("ready");
  });

  test("RESTART reloads the host, FIRMWARE_RESTART resets the MCU too", async () => {
    const vmcu = p.lp.virtualMcus.get("mcu")!;
    const configs = () => vmcu.executed.filter((c) => c.name === "allocate_oids").length;
    const first = p.lp.printer;
    const before = configs();
    void p.run("RESTART");
    await p.until(() => p.lp.printer !== first && p.lp.printer.getStateMessage()[1] === "ready", "ready after RESTART");
    // The MCU kept its configuration: only restart/init commands were sent
    expect(configs()).toBe(before);
    const second = p.lp.printer;
    void p.run("FIRMWARE_RESTART");
    await p.until(() => p.lp.printer !== second && p.lp.printer.getStateMessage()[1] === "ready", "ready after FIRMWARE_RESTART");
    // The MCU rebooted without a configuration and was configured again
    expect(configs()).toBe(before + 1);
  });
});

describe("stopping", () => {
  test("in the middle of a print stops cleanly: no errors, no timers, the virtual MCU halted", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    const t = await startTestPrinter({ extraConfig: "\n[force_move]\nenable_force_move: True\n" });
    try {
      await t.run("SET_KINEMATIC_POSITION X=100 Y=100 Z=10");
      const travel = Array.from({ length: 60 }, (_, i) => `G0 F3000 X${100 + (i % 2) * 50} Y${100 + (i % 3) * 20}`).join("\n");
      writeFileSync(join(t.gcodesDir, "travel.gcode"), `${travel}\n`);
      await t.run("SDCARD_PRINT_FILE FILENAME=travel.gcode");
      const vmcu = t.lp.virtualMcus.get("mcu")!;
      await t.until(() => vmcu.position("PA0") !== 100 * 80, "the head moving");
    } finally {
      await t.close();
      process.off("unhandledRejection", onUnhandled);
    }
    expect(t.lp.reactor.activeTimers).toBe(0);
    expect(t.lp.virtualMcus.size).toBe(0);
    expect(t.logs.filter((l) => l.startsWith("ERROR"))).toEqual([]);
    expect(unhandled).toEqual([]);
  }, 20_000);
});
