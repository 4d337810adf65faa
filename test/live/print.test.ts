// Printing on the virtual printer, end to end over the G-code pty: G28 homes every axis onto its
// endstop, PRINT_START heats under PID, a sliced file prints through SDCARD_PRINT_FILE with
// progress, and the steps the virtual MCU executed are the ones the motion core's batch mode
// writes for the same file. Then PAUSE/RESUME, CANCEL_PRINT, a bad line in a file, and the idle
// timeout turning heaters and motors off.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runBatch } from "../../src/batch/run.ts";
import { GCodePty } from "../../src/live/gcode-pty.ts";
import { virtualPrinterConfig, XY_STEPS_PER_MM, Z_STEPS_PER_MM } from "../../src/live/virtual-printer/index.ts";
import { DataDictionary } from "../../src/protocol/index.ts";
import { startTestPrinter, TEST_TIME_SCALE, type TestPrinter } from "./helpers.ts";
import { openPtyClient, type PtyClient } from "./pty-client.ts";
import { slicedFile } from "./sliced-file.ts";
import { decodeMessages } from "../support/serial.ts";
import { stepRuns } from "./step-runs.ts";

const FORCE_MOVE = "\n[force_move]\nenable_force_move: True\n";
const STEP_PINS = { x: "PA0", y: "PA3", z: "PA6" } as const;
const ENABLE_PINS = ["PA2", "PA5", "PA8", "PA11"];

describe("printing on the virtual printer", () => {
  let p: TestPrinter;
  let pty: GCodePty;
  let term: PtyClient;
  const status = (obj: string, fields: string[] | null = null) => p.lp.status.query({ [obj]: fields })[obj]!;
  const printState = () => status("print_stats", ["state"]).state;
  /** Send a line on the terminal and wait for its "ok"; returns the replies before it. */
  const send = async (line: string, timeout = 60): Promise<string[]> => {
    const from = term.lines.length;
    term.send(`${line}\n`);
    const ok = await term.waitFor(/^ok/, from, timeout);
    return term.lines.slice(from, ok);
  };

  beforeAll(async () => {
    p = await startTestPrinter({ extraConfig: FORCE_MOVE, logCommands: true });
    pty = new GCodePty(p.lp, { path: join(p.dataDir, "printer") });
    await pty.start();
    term = await openPtyClient(pty.path);
  });
  afterAll(async () => {
    await term.close();
    await pty.stop();
    await p.close();
  });

  test("G28 homes every axis onto its endstop", async () => {
    const vmcu = p.lp.virtualMcus.get("mcu")!;
    expect(vmcu.position(STEP_PINS.x)).toBeGreaterThan(0);
    expect(await send("G28", 60)).not.toContainEqual(expect.stringMatching(/^!!/));
    const th = status("toolhead", ["position", "homed_axes"]);
    expect(th.homed_axes).toBe("xyz");
    // The reported position is each rail's position_endstop (0) ...
    expect((th.position as number[]).slice(0, 3)).toEqual([0, 0, 0]);
    // ... and the carriages really stand on their switches (which close at 0 steps)
    for (const pin of Object.values(STEP_PINS)) expect(vmcu.position(pin)).toBe(0);
    expect(await send("QUERY_ENDSTOPS")).toEqual(["stepper_x:TRIGGERED stepper_y:TRIGGERED stepper_z:TRIGGERED"]);
  }, 60_000);

  test("motion_report follows the head while it moves", async () => {
    const samples: { live_position: number[]; live_velocity: number }[] = [];
    const sub = p.lp.status.subscribe({ motion_report: ["live_position", "live_velocity"] }, () => {});
    const sampler = setInterval(() => samples.push(status("motion_report", ["live_position", "live_velocity"]) as (typeof samples)[0]), 100);
    try {
      await send("G1 X50 F3000");
      await send("M400");
      await Bun.sleep(300);
    } finally {
      clearInterval(sampler);
      sub.unsubscribe();
    }
    const xs = samples.map((s) => s.live_position[0]!);
    expect(xs.some((x) => x > 5 && x < 45)).toBe(true);
    for (let i = 1; i < xs.length; i++) expect(xs[i]!).toBeGreaterThanOrEqual(xs[i - 1]! - 1e-9);
    expect(xs.at(-1)).toBeCloseTo(50, 9);
    expect(samples.some((s) => Math.abs(s.live_velocity - 50) < 1e-6)).toBe(true);
    expect(samples.at(-1)!.live_velocity).toBe(0);
    await send("G1 X0 F6000");
  }, 20_000);

  test("PRINT_START heats and a sliced file prints with progress; the MCU ran the batch mode's steps", async () => {
    await send("PRINT_START EXTRUDER=190 BED=35", 120);
    await send("M400");
    const vmcu = p.lp.virtualMcus.get("mcu")!;
    expect(Math.abs(vmcu.temperature("PC1")! - 190)).toBeLessThan(3);
    expect(vmcu.position(STEP_PINS.z)).toBe(5 * Z_STEPS_PER_MM);
    const file = slicedFile({ layers: 3 });
    writeFileSync(join(p.gcodesDir, "square.gcode"), file);
    const progress: number[] = [];
    const states: string[] = [];
    const sub = p.lp.status.subscribe({ virtual_sdcard: ["progress"], print_stats: ["state"] }, (c) => {
      if (c.virtual_sdcard) progress.push(c.virtual_sdcard.progress as number);
      if (c.print_stats) states.push(c.print_stats.state as string);
    });
    const mark = vmcu.executed.length;
    try {
      await send("SDCARD_PRINT_FILE FILENAME=square.gcode");
      await p.until(() => printState() === "complete", "the print to complete", 60);
      await send("M400");
    } finally {
      sub.unsubscribe();
    }
    expect(states).toEqual(["printing", "complete"]);
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.at(-1)).toBe(1);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThanOrEqual(progress[i - 1]!);
    expect(status("print_stats", ["filename"]).filename).toBe("square.gcode");
    // The head is where the file left it
    expect(vmcu.position(STEP_PINS.x)).toBe(80 * XY_STEPS_PER_MM);
    expect(vmcu.position(STEP_PINS.y)).toBe(80 * XY_STEPS_PER_MM);
    expect(vmcu.position(STEP_PINS.z)).toBe(10 * Z_STEPS_PER_MM);

    // The same file through batch mode, from the same start (X0 Y0 Z5)
    const dir = p.dataDir;
    writeFileSync(join(dir, "batch.cfg"), virtualPrinterConfig({ gcodesDir: p.gcodesDir, thermalTimeScale: TEST_TIME_SCALE }) + FORCE_MOVE);
    writeFileSync(join(dir, "batch.gcode"), `SET_KINEMATIC_POSITION X=0 Y=0 Z=5\n${file}`);
    writeFileSync(join(dir, "vmcu.dict"), vmcu.dictionaryText);
    const result = await runBatch({ config: join(dir, "batch.cfg"), input: join(dir, "batch.gcode"), output: join(dir, "out.serial"), dicts: { mcu: join(dir, "vmcu.dict") }, respond: () => {} });
    expect(result.error).toBeNull();
    const batchRuns = stepRuns(decodeMessages(DataDictionary.fromJson(vmcu.dictionaryText), join(dir, "out.serial")));
    const liveRuns = stepRuns(vmcu.executed, mark);
    expect([...liveRuns.keys()].sort()).toEqual([...batchRuns.keys()].sort());
    for (const [oid, runs] of batchRuns) {
      expect(runs.length).toBeGreaterThan(1);
      expect({ oid, runs: liveRuns.get(oid) }).toEqual({ oid, runs });
    }
  }, 200_000);

  test("PAUSE parks the print, RESUME brings the head back to where it paused", async () => {
    writeFileSync(join(p.gcodesDir, "long.gcode"), slicedFile({ layers: 12, feed: 1200 }));
    await send("SDCARD_PRINT_FILE FILENAME=long.gcode");
    await p.until(() => (status("virtual_sdcard", ["progress"]).progress as number) > 0.2, "some progress", 30);
    await send("PAUSE");
    await p.until(() => printState() === "paused", "paused");
    await send("M400");
    const paused = (status("gcode_move", ["gcode_position"]).gcode_position as number[]).slice(0, 3);
    const progressAtPause = status("virtual_sdcard", ["progress"]).progress as number;
    // Move the head away while paused
    await send("G91");
    await send("G1 X15 Y-10 F6000");
    await send("G90");
    await send("M400");
    expect((status("gcode_move", ["gcode_position"]).gcode_position as number[])[0]).toBeCloseTo(paused[0]! + 15, 6);
    expect(status("virtual_sdcard", ["progress"]).progress).toBe(progressAtPause);
    // Run directly (not over the pty) to read the position before the print's next line runs
    await p.run("RESUME");
    const resumed = (status("gcode_move", ["gcode_position"]).gcode_position as number[]).slice(0, 3);
    resumed.forEach((v, i) => expect(v).toBeCloseTo(paused[i]!, 9));
    await p.until(() => printState() === "printing" && (status("virtual_sdcard", ["progress"]).progress as number) > progressAtPause, "the print to go on");
  }, 60_000);

  test("CANCEL_PRINT stops the print cleanly", async () => {
    const vmcu = p.lp.virtualMcus.get("mcu")!;
    expect(printState()).toBe("printing");
    await send("CANCEL_PRINT");
    await p.until(() => printState() === "cancelled", "cancelled");
    await send("M400");
    const at = vmcu.position(STEP_PINS.x);
    await Bun.sleep(500);
    expect(vmcu.position(STEP_PINS.x)).toBe(at);
    expect(status("virtual_sdcard", ["is_active"]).is_active).toBe(false);
    expect(p.lp.printer.getStateMessage()[1]).toBe("ready");
  }, 30_000);

  test("a bad line fails the print with its message; heaters are turned off, the printer stays ready", async () => {
    writeFileSync(join(p.gcodesDir, "bad.gcode"), slicedFile({ layers: 3, insertBeforeLayer: { layer: 2, lines: ["G1 X500 F3000"] } }));
    await send("M104 S190");
    const from = term.lines.length;
    await send("SDCARD_PRINT_FILE FILENAME=bad.gcode");
    await p.until(() => printState() === "error", "the print to fail", 30);
    expect(status("print_stats", ["message"]).message).toStartWith("Move out of range: 500.000");
    // The pty reader may lag the state change under load: wait for the line rather than look once
    await term.waitFor(/^!! Move out of range: 500\.000/, from, 10);
    expect(p.lp.printer.lookupObject<{ lookupHeater(n: string): { getStatus(t: number): { target: number } } }>("heaters").lookupHeater("extruder").getStatus(0).target).toBe(0);
    expect(status("heater_bed", ["target"]).target).toBe(0);
    expect(p.lp.printer.getStateMessage()[1]).toBe("ready");
    expect(await send("M105")).toEqual([]);
  }, 30_000);

  test("END_PRINT turns the heaters off, lifts the nozzle and disables the motors", async () => {
    const vmcu = p.lp.virtualMcus.get("mcu")!;
    await send("M104 S150");
    await p.until(() => (vmcu.output("PC0") ?? 0) > 0, "hotend on");
    const z = vmcu.position(STEP_PINS.z);
    await send("END_PRINT");
    await send("M400");
    expect(vmcu.position(STEP_PINS.z)).toBe(z + 5 * Z_STEPS_PER_MM);
    await p.until(() => ENABLE_PINS.every((pin) => vmcu.output(pin) === 1), "motors disabled", 5);
    await p.until(() => !vmcu.output("PC0") && !vmcu.output("PC2"), "heaters off", 5);
    expect(status("toolhead", ["homed_axes"]).homed_axes).toBe("");
  }, 30_000);

  test("an exception in the host during a print shuts down with every heater off", async () => {
    const vmcu = p.lp.virtualMcus.get("mcu")!;
    p.lp.printer.gcode.register("TEST_HOST_BUG", () => {
      throw new TypeError("simulated host bug");
    });
    writeFileSync(join(p.gcodesDir, "crash.gcode"), `G28\n${slicedFile({ layers: 1, insertBeforeLayer: { layer: 1, lines: ["TEST_HOST_BUG"] } })}`);
    await send("M140 S35");
    await send("SDCARD_PRINT_FILE FILENAME=crash.gcode");
    await p.until(() => p.lp.printer.getStateMessage()[1] === "shutdown", "the shutdown", 30);
    expect(p.lp.printer.getStateMessage()[0]).toStartWith('Internal error on command:"TEST_HOST_BUG"');
    await p.until(() => vmcu.shutdownReason === "Command request", "the MCU stopped");
    expect(!vmcu.output("PC0") && !vmcu.output("PC2")).toBe(true);
    // Stepper drivers back at their disabled level
    expect(ENABLE_PINS.map((pin) => vmcu.output(pin))).toEqual([1, 1, 1, 1]);
    // FIRMWARE_RESTART recovers
    const before = p.lp.printer;
    term.send("FIRMWARE_RESTART\n");
    await p.until(() => p.lp.printer !== before && p.lp.printer.getStateMessage()[1] === "ready", "ready again", 15);
  }, 60_000);

  test("after the idle timeout heaters are off and motors disabled", async () => {
    const vmcu = p.lp.virtualMcus.get("mcu")!;
    await send("M140 S35");
    await send("SET_STEPPER_ENABLE STEPPER=stepper_x ENABLE=1");
    await p.until(() => vmcu.output("PA2") === 0, "X motor enabled");
    await send("SET_IDLE_TIMEOUT TIMEOUT=1");
    await p.until(() => status("idle_timeout", ["state"]).state === "Idle", "idle", 10);
    await p.until(() => ENABLE_PINS.every((pin) => vmcu.output(pin) === 1), "motors disabled", 5);
    await p.until(() => !vmcu.output("PC0") && !vmcu.output("PC2"), "heaters off", 5);
    expect(status("heater_bed", ["target"]).target).toBe(0);
    expect(status("toolhead", ["homed_axes"]).homed_axes).toBe("");
  }, 30_000);

  test("losing the MCU during a print is reported and its heaters go off", async () => {
    const vmcu = p.lp.virtualMcus.get("mcu")!;
    await send("SET_IDLE_TIMEOUT TIMEOUT=600");
    await send("M140 S35");
    await send("SET_KINEMATIC_POSITION X=100 Y=100 Z=10");
    // Travel moves only: nothing to extrude, so no hotend warm-up needed
    const travel = Array.from({ length: 40 }, (_, i) => `G0 F3000 X${100 + (i % 2) * 50} Y${100 + (i % 3) * 20}`).join("\n");
    writeFileSync(join(p.gcodesDir, "travel.gcode"), `${travel}\n`);
    await send("SDCARD_PRINT_FILE FILENAME=travel.gcode");
    await p.until(() => printState() === "printing" && (vmcu.output("PC2") ?? 0) > 0, "printing with the bed on");
    expect(p.lp.unplugVirtualMcu()).toBe(true);
    await p.until(() => p.lp.printer.getStateMessage()[1] === "shutdown", "the lost MCU", 10);
    expect(p.lp.printer.getStateMessage()[0]).toStartWith("Lost communication with MCU 'mcu'");
    // Nobody refreshes the bed's PWM any more: the MCU's max_duration check stops it
    await p.until(() => vmcu.shutdownReason !== null, "the MCU's own shutdown", 10);
    expect(vmcu.shutdownReason).toBe("Missed scheduling of next digital out event");
    expect(!vmcu.output("PC0") && !vmcu.output("PC2")).toBe(true);
    expect(ENABLE_PINS.map((pin) => vmcu.output(pin))).toEqual([1, 1, 1, 1]);
    // The print loop notices the shutdown at its next line (it may be waiting on the motion queue)
    await p.until(() => printState() !== "printing", "the print to stop", 10);
  }, 30_000);
});
