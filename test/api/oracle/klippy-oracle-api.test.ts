// The oracle for what the web API asks of a printer: the same webhooks requests (objects/list,
// objects/query of every object, gcode/script output and errors, query_endstops/status, a print
// started with SDCARD_PRINT_FILE then paused, resumed and cancelled through pause_resume/*) go to
// Stepline's live Host on the in-process virtual printer and to real klippy (the reference tarball)
// driving the virtual MCU over a pty, on the same printer.cfg and the same G-code folder. Answers
// must agree field by field and value by value, except the named, explained differences below.
// Skipped (an error in CI) when python3 with klippy's modules, gcc or socat are missing.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { setPriority } from "node:os";
import { join } from "node:path";
import { ensureDataDirs, virtualPrinterConfig, virtualPrinterHardware } from "../../../src/live/virtual-printer/index.ts";
import { type LiveHost, startLiveHost } from "../../../src/live/host.ts";
import { KlippyApiError } from "../../support/klippy-api.ts";
import { type KlippyLive, klippyLiveMissing, startKlippyLive } from "../../support/klippy-live.ts";
import { TempDir } from "../../support/temp-dir.ts";
import { diffJson, type Exception, unexplained } from "./status-diff.ts";

setDefaultTimeout(120_000);
const missing = klippyLiveMissing();
if (missing) console.warn(`skipping the klippy API oracle: ${missing}`);

/** Differences inherent to running two hosts side by side; everything else must be equal. */
const INHERENT: readonly Exception[] = [
  { path: "toolhead.print_time", allows: "value", why: "MCU print time since each host's own start: the two started at different moments" },
  { path: "toolhead.estimated_print_time", allows: "value", why: "the same clock, read at the moment of the query" },
  { path: "mcu.last_stats.*", allows: "value", why: "serial link counters and the estimated MCU clock frequency: traffic and timing of each link (a pty vs in-process; klippy retransmits at startup)" },
  { path: "system_stats.*", allows: "value", why: "load average, CPU time and free memory of two different processes, read at different moments" },
  { path: "configfile.config.mcu.serial", allows: "value", why: "klippy's [mcu] serial is the pty; Stepline's names the in-process virtual MCU" },
  { path: "configfile.settings.mcu.serial", allows: "value", why: "the same option as parsed" },
];

/** Status fields that follow the clock while a print runs (both hosts print the same file, not in lockstep). */
const PRINT_TIMING: readonly Exception[] = [
  { path: "print_stats.print_duration", allows: "value", why: "seconds spent printing so far" },
  { path: "print_stats.total_duration", allows: "value", why: "seconds since the print started" },
  { path: "virtual_sdcard.file_position", allows: "value", why: "how far each host has read the file when queried" },
  { path: "virtual_sdcard.progress", allows: "value", why: "file_position / file_size" },
  { path: "display_status.progress", allows: "value", why: "virtual_sdcard.progress while no M73 has set it" },
  { path: "idle_timeout.printing_time", allows: "value", why: "seconds the printer has been busy" },
  { path: "toolhead.*", allows: "value", why: "where the head is mid-print" },
  { path: "gcode_move.*", allows: "value", why: "the G-code position mid-print" },
  { path: "motion_report.*", allows: "value", why: "the live position mid-print" },
];

/**
 * Klipper G-code commands Stepline does not have yet: QUERY_ADC (query_adc, loaded with every ADC
 * sensor), TUNING_TOWER (a default module of Klipper's toolhead), Z_ENDSTOP_CALIBRATE and
 * Z_OFFSET_APPLY_ENDSTOP (manual_probe's commands for a printer with a Z position_endstop). Listed
 * exactly: the test fails when one is added (remove it here) or another goes missing.
 */
const NOT_YET_IN_STEPLINE = ["QUERY_ADC", "TUNING_TOWER", "Z_ENDSTOP_CALIBRATE", "Z_OFFSET_APPLY_ENDSTOP"];

/** One host as the oracle drives it: a webhooks call, and the G-code output it has written so far. */
interface Side {
  name: "klippy" | "stepline";
  call(endpoint: string, params?: Record<string, unknown>): Promise<unknown>;
  output: string[];
}

/** The outcome of one gcode/script request: its output lines and its error message, if any. */
interface ScriptOutcome {
  lines: string[];
  error: string | null;
}

async function script(side: Side, text: string): Promise<ScriptOutcome> {
  const from = side.output.length;
  let error: string | null = null;
  try {
    await side.call("gcode/script", { script: text });
  } catch (e) {
    error = e instanceof KlippyApiError ? e.klippyMessage : (e as Error).message;
  }
  return { lines: side.output.slice(from), error };
}

// biome-ignore lint: statuses are compared by value
type Status = Record<string, Record<string, any>>;
const query = async (side: Side, objects: Record<string, string[] | null>) => ((await side.call("objects/query", { objects })) as { status: Status }).status;

async function waitFor(side: Side, what: string, pred: (s: Status) => boolean, objects: Record<string, string[] | null>, ms = 30_000): Promise<Status> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await query(side, objects);
    if (pred(s)) return s;
    if (Date.now() > deadline) throw new Error(`${side.name}: timed out waiting for ${what}; last ${JSON.stringify(s)}`);
    await Bun.sleep(100);
  }
}

/**
 * Runs `fn` on klippy, then on Stepline; returns [klippy's, stepline's]. One after the other: the
 * machine's CPU then serves one host's homing and moves at a time.
 */
const both = async <T>(fn: (s: Side) => Promise<T>): Promise<[T, T]> => {
  const k = await fn(klippy);
  return [k, await fn(stepline)];
};

const expectSame = (k: unknown, s: unknown, exceptions: readonly Exception[] = INHERENT) => expect(unexplained(diffJson(k, s), exceptions)).toEqual([]);

/** Shutdowns that say the machine running the test fell behind real time, not that a host is wrong. */
const OVERLOAD = /Timer too close|Rescheduled timer in the past|Communication timeout|Lost communication/;

async function overloadShutdown(): Promise<string | null> {
  for (const side of [klippy, stepline]) {
    const info = (await side.call("info").catch(() => null)) as { state: string; state_message: string } | null;
    if (info?.state === "shutdown" && OVERLOAD.test(info.state_message)) return `${side.name}: ${info.state_message.split("\n")[0]}`;
  }
  return null;
}

/** FIRMWARE_RESTART both hosts and wait until both are ready again (klippy's API socket is new then). */
async function restartBoth(): Promise<void> {
  await Promise.all([klippy.call("gcode/firmware_restart").catch(() => {}), stepline.call("gcode/firmware_restart").catch(() => {})]);
  await Bun.sleep(500);
  await kl.waitReady();
  await attachKlippyOutput();
  for (const deadline = Date.now() + 60_000; live.host.state().state !== "ready"; await Bun.sleep(100)) {
    if (Date.now() > deadline) throw new Error(`Stepline did not become ready after FIRMWARE_RESTART: ${live.host.state().message}`);
  }
}

/**
 * A test that moves the printer: when it fails because either host shut down for falling behind
 * real time (a loaded machine: both hosts and both boards share its CPU), both are restarted and
 * the test runs again, at most three times. Any other failure fails at once.
 */
function movingTest(name: string, body: () => Promise<void>): void {
  test(name, async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await body();
      } catch (e) {
        const why = attempt < 3 ? await overloadShutdown() : null;
        if (!why) throw e;
        console.warn(`klippy oracle: "${name}" attempt ${attempt} hit an overload shutdown (${why}); restarting both hosts`);
        await restartBoth();
      }
    }
  });
}

async function attachKlippyOutput(): Promise<void> {
  kl.api.on("oracle_output", (p) => klippy.output.push(String(p.response)));
  await kl.api.call("gcode/subscribe_output", { response_template: { method: "oracle_output" } });
}

const tmp = new TempDir("stepline-klippy-oracle-");
let kl: KlippyLive;
let live: { host: LiveHost; stop(): Promise<void> };
let klippy: Side;
let stepline: Side;

beforeAll(async () => {
  if (missing) return;
  // This process runs Stepline's virtual MCU: a real-time peer like klippy's (see klippy-live.ts)
  try {
    setPriority(-10);
  } catch (e) {
    console.warn(`klippy oracle: running at normal priority (${(e as Error).message})`);
  }
  const dirs = ensureDataDirs(tmp.path);
  const config = virtualPrinterConfig({ gcodesDir: dirs.gcodes, idleTimeout: 600, thermalTimeScale: 10 });
  const hardware = virtualPrinterHardware({ thermalTimeScale: 10 });
  // A print long enough to pause, resume and cancel while it runs: slow moves across the bed
  const lines = ["G90"];
  for (let i = 0; i < 60; i++) lines.push(`G1 X${i % 2 ? 150 : 20} Y${20 + i} F1200`);
  writeFileSync(join(dirs.gcodes, "oracle print.gcode"), lines.join("\n") + "\n");
  [kl, live] = await Promise.all([
    startKlippyLive(tmp.path, config, hardware),
    startLiveHost({ configText: config, dataDir: tmp.path, log: { info() {}, warn() {}, error() {} }, board: { hardware, logCommands: false } }),
  ]);
  klippy = { name: "klippy", call: (e, p) => kl.api.call(e, p ?? {}), output: [] };
  stepline = { name: "stepline", call: (e, p) => live.host.call(e, p ?? {}), output: [] };
  await attachKlippyOutput();
  live.host.onGcodeOutput((line) => stepline.output.push(line));
  // Ready comes before the first sensor readings: compare once both hosts have read every heater
  const heaters = { extruder: ["temperature"], heater_bed: ["temperature"] };
  await both((side) => waitFor(side, "first temperature readings", (st) => st.extruder!.temperature > 0 && st.heater_bed!.temperature > 0, heaters));
}, 120_000);

afterAll(async () => {
  await Promise.all([kl?.stop(), live?.stop()]);
  tmp.remove();
});

describe.skipIf(missing !== null)("webhooks answers: Stepline's Host vs real klippy on the same printer.cfg", () => {
  test("the exception lists name real fields (an exception for a field neither host has would hide nothing)", async () => {
    const [k, s] = await both((side) => side.call("objects/list") as Promise<{ objects: string[] }>);
    const all = async (side: Side, objects: string[]) => query(side, Object.fromEntries(objects.map((o) => [o, null])));
    const [ks, ss] = await Promise.all([all(klippy, k.objects), all(stepline, s.objects)]);
    for (const e of [...INHERENT, ...PRINT_TIMING]) {
      const parts = e.path.replace(/\.\*$/, "").split(".");
      const at = (root: unknown) => parts.reduce<unknown>((o, p) => (o as Record<string, unknown> | undefined)?.[p], root);
      expect({ path: e.path, klippy: at(ks) !== undefined, stepline: at(ss) !== undefined }).toEqual({ path: e.path, klippy: true, stepline: true });
    }
  });

  test("objects/list: the same objects in the same order", async () => {
    const [k, s] = await both((side) => side.call("objects/list"));
    expect(s).toEqual(k);
  });

  test("list_endpoints: every endpoint klippy offers the API that Stepline's Host has too", async () => {
    const [k, s] = await both((side) => side.call("list_endpoints") as Promise<{ endpoints: string[] }>);
    // register_remote_method (remote methods for Moonraker's agents) and motion_report/dump_* (raw
    // step/trapq dumps for klippy's own tools) are not used by any web client
    const unused = ["register_remote_method", "motion_report/dump_stepper", "motion_report/dump_trapq"];
    expect([...s.endpoints].sort()).toEqual(k.endpoints.filter((e) => !unused.includes(e)).sort());
  });

  test("objects/query of every object, every field, at idle", async () => {
    const { objects } = (await klippy.call("objects/list")) as { objects: string[] };
    const request = Object.fromEntries(objects.map((o) => [o, null]));
    const [k, s] = await both((side) => query(side, request));
    const cmds = (st: Status) => Object.keys(st.gcode!.commands).sort();
    expect(cmds(k).filter((c) => !cmds(s).includes(c))).toEqual(NOT_YET_IN_STEPLINE);
    expect(cmds(s).filter((c) => !cmds(k).includes(c))).toEqual([]);
    for (const c of NOT_YET_IN_STEPLINE) delete k.gcode!.commands[c];
    expectSame(k, s);
  });

  test("objects/query: unknown objects and fields are dropped the same way", async () => {
    const req = { toolhead: ["homed_axes", "no_such_field"], no_such_object: null, "gcode_macro NOPE": ["x"] };
    const [k, s] = await both((side) => query(side, req));
    expect(s).toEqual(k);
  });

  movingTest("gcode/script: output lines and error messages of homing, moves, reports and bad commands", async () => {
    const scripts = [
      "M114",
      "G28",
      "M114",
      "G1 X50 Y60 Z5 F6000",
      "M400",
      "M114",
      "GET_POSITION",
      "QUERY_ENDSTOPS",
      "M105",
      "STATUS",
      "SET_VELOCITY_LIMIT",
      "M117 hello oracle",
      "NO_SUCH_COMMAND_XYZ",
      "G1 X9999",
      "M104 S9999",
      "SET_HEATER_TEMPERATURE HEATER=nope TARGET=10",
      "G1 X=",
      "M220 S150",
      "M221 S90",
      "G92 E5",
      "HELP",
    ];
    for (const text of scripts) {
      const [k, s] = await both((side) => script(side, text));
      if (text === "HELP") {
        // HELP lists every extended command: the same, but for the commands Stepline lacks
        const lacking = (l: string) => NOT_YET_IN_STEPLINE.some((c) => new RegExp(`^// ${c} *:`).test(l));
        k.lines = k.lines.map((msg) => msg.split("\n").filter((l) => !lacking(l)).join("\n"));
      }
      expect({ script: text, ...s }).toEqual({ script: text, ...k });
    }
    const objs = { toolhead: null, gcode_move: null, query_endstops: null, display_status: null, stepper_enable: null, motion_report: null };
    const [k, s] = await both((side) => query(side, objs));
    expectSame(k, s);
  });

  movingTest("query_endstops/status: the same endpoint names and states (Klipper names the rails stepper_x…)", async () => {
    const [k, s] = await both((side) => side.call("query_endstops/status"));
    expect(s).toEqual(k);
    expect(Object.keys(s as object).sort()).toEqual(["stepper_x", "stepper_y", "stepper_z"]);
  });

  test("gcode/help: the same help texts", async () => {
    const [k, s] = await both((side) => side.call("gcode/help") as Promise<Record<string, string>>);
    for (const c of NOT_YET_IN_STEPLINE) delete k[c];
    expect(s).toEqual(k);
  });

  movingTest("a print: SDCARD_PRINT_FILE, then pause, resume and cancel through pause_resume/*", async () => {
    const objs = { print_stats: null, virtual_sdcard: null, pause_resume: null, idle_timeout: null, webhooks: null, display_status: null };
    await both((side) => script(side, "G28"));
    const start = await both((side) => script(side, 'SDCARD_PRINT_FILE FILENAME="oracle print.gcode"'));
    expect(start[1]).toEqual(start[0]);
    const printing = await both((side) => waitFor(side, "printing", (st) => st.print_stats!.state === "printing" && st.virtual_sdcard!.file_position > 0, objs));
    expectSame(printing[0], printing[1], PRINT_TIMING);
    for (const step of ["pause", "resume", "cancel"] as const) {
      const calls = await both(async (side) => {
        const from = side.output.length;
        const result = await side.call(`pause_resume/${step}`);
        return { result, lines: side.output.slice(from) };
      });
      expect(calls[1]).toEqual(calls[0]);
      const want = { pause: "paused", resume: "printing", cancel: "cancelled" }[step];
      const after = await both((side) => waitFor(side, want, (st) => st.print_stats!.state === want, objs));
      expectSame(after[0], after[1], PRINT_TIMING);
    }
    // A second cancel has nothing to cancel: the same answer from both
    const again = await both((side) => side.call("pause_resume/cancel").then((r) => ({ r }), (e: Error) => ({ e: e instanceof KlippyApiError ? e.klippyMessage : e.message })));
    expect(again[1]).toEqual(again[0]);
  });

  test("emergency_stop: both shut down with the same state message", async () => {
    await both((side) => side.call("emergency_stop"));
    const infos = await both(async (side) => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const info = (await side.call("info")) as { state: string; state_message: string };
        if (info.state === "shutdown" || Date.now() > deadline) return { state: info.state, state_message: info.state_message };
        await Bun.sleep(100);
      }
    });
    expect(infos[0].state).toBe("shutdown");
    expect(infos[1]).toEqual(infos[0]);
    const [k, s] = await both((side) => query(side, { webhooks: null, print_stats: ["state"], heater_bed: ["target"], extruder: ["target"] }));
    expectSame(k, s);
  });
});
