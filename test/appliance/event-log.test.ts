// The printer's log file (<data>/logs/stepline.log) of a real `stepline run`, driven through its web
// API: each G-code error, print start/pause/resume/cancel/complete/failure and restart is a line with
// its UTC time, in the order it happened. Also: an action longer than the HTTP server's idle timeout
// (a 15 s dwell) still gets its answer.
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Cleanups } from "../support/cleanups.ts";
import { freePort, spawnStepline } from "../support/cli.ts";

const cleanups = new Cleanups();
type Json = Record<string, unknown>;
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO|WARN|ERROR) /;

/** `stepline run` on a temp data folder with its web API on a free loopback port. */
async function startAppliance() {
  const dir = cleanups.tempDir("stepline-events-");
  const data = join(dir, "data");
  const port = freePort();
  const proc = spawnStepline(cleanups, ["run", "--data", data, "--gcode-pty", join(dir, "printer"), "--port", String(port), "--host", "127.0.0.1"]);
  await proc.waitFor(/^web API on /);
  const base = `http://127.0.0.1:${port}`;
  const api = async (method: "GET" | "POST", path: string) => {
    const res = await fetch(base + path, { method, keepalive: false });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const printState = async () => (((await api("GET", "/printer/objects/query?print_stats=state")).body.result as Json).status as { print_stats: { state: string } }).print_stats.state;
  const klippyState = async () => ((await api("GET", "/server/info")).body.result as Json).klippy_state;
  const until = async (what: () => Promise<unknown>, want: string) => {
    for (let i = 0; i < 300; i++) {
      if ((await what()) === want) return;
      await Bun.sleep(100);
    }
    throw new Error(`never reached ${want}`);
  };
  return { data, proc, api, printState, klippyState, until, log: () => readFileSync(join(data, "logs/stepline.log"), "utf8").split("\n").filter((l) => l !== "") };
}

describe("the log file", () => {
  test("has every G-code error, print start/pause/resume/cancel/complete/failure and restart with a time", async () => {
    const a = await startAppliance();
    await a.until(a.klippyState, "ready");
    const moves = Array.from({ length: 400 }, (_, i) => `G1 X${(i % 2) * 100 + 10} Y${(i % 3) * 50 + 10} F3000`).join("\n");
    writeFileSync(join(a.data, "gcodes/long.gcode"), `G28\n${moves}\n`);
    writeFileSync(join(a.data, "gcodes/short.gcode"), "G28\nG1 X20 Y20 F6000\n");
    writeFileSync(join(a.data, "gcodes/bad.gcode"), "G28\nG1 X9999 F6000\n");

    // A G-code error through the API
    const err = await a.api("POST", "/printer/gcode/script?script=G1%20X10%20F600");
    expect(err.status).toBe(400);

    // Start, pause, resume, cancel
    expect((await a.api("POST", "/printer/print/start?filename=long.gcode")).status).toBe(200);
    await a.until(a.printState, "printing");
    expect((await a.api("POST", "/printer/print/pause")).status).toBe(200);
    await a.until(a.printState, "paused");
    expect((await a.api("POST", "/printer/print/resume")).status).toBe(200);
    await a.until(a.printState, "printing");
    expect((await a.api("POST", "/printer/print/cancel")).status).toBe(200);
    await a.until(a.printState, "cancelled");

    // A print to its end, and one that fails on an error in the file
    expect((await a.api("POST", "/printer/print/start?filename=short.gcode")).status).toBe(200);
    await a.until(a.printState, "complete");
    expect((await a.api("POST", "/printer/print/start?filename=bad.gcode")).status).toBe(200);
    await a.until(a.printState, "error");

    // RESTART and FIRMWARE_RESTART
    expect((await a.api("POST", "/printer/restart")).status).toBe(200);
    await a.until(a.klippyState, "ready");
    expect((await a.api("POST", "/printer/firmware_restart")).status).toBe(200);
    await a.until(a.klippyState, "ready");
    expect(await a.proc.stop("SIGTERM")).toBe(0);

    const lines = a.log();
    const EVENT = /^(G-code error|Print |Restarting )/;
    // Every event line carries its time (multi-line messages continue on lines without one)
    expect(lines.filter((l) => EVENT.test(l))).toEqual([]);
    const events = lines.filter((l) => TIMESTAMP.test(l)).map((l) => l.replace(TIMESTAMP, "")).filter((l) => EVENT.test(l));
    expect(events).toEqual([
      "G-code error: G1 X10 F600: Must home axis first: 10.000 0.000 0.000 [0.000]",
      "Print started: long.gcode",
      "Print paused: long.gcode",
      "Print resumed: long.gcode",
      // CANCEL_PRINT stops the running file first (print_stats passes through paused, as Klipper's)
      "Print paused: long.gcode",
      "Print cancelled: long.gcode",
      "Print started: short.gcode",
      "Print complete: short.gcode",
      "Print started: bad.gcode",
      expect.stringMatching(/^G-code error: G1 X9999 F6000: Move out of range: /),
      expect.stringMatching(/^Print failed: bad\.gcode: Move out of range: /),
      "Restarting host software",
      "Restarting firmware and host software",
    ]);
    // The times are in order and today's
    const times = lines.filter((l) => TIMESTAMP.test(l)).map((l) => Date.parse(l.slice(0, 24)));
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(Math.abs(times.at(-1)! - Date.now())).toBeLessThan(10 * 60_000);
  }, 120_000);

  test("a G-code running longer than the HTTP idle timeout still gets its answer", async () => {
    const a = await startAppliance();
    await a.until(a.klippyState, "ready");
    const started = Date.now();
    expect(await a.api("POST", "/printer/gcode/script?script=G4%20P15000")).toEqual({ status: 200, body: { result: "ok" } });
    console.log(`G4 P15000 answered after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(await a.proc.stop("SIGTERM")).toBe(0);
  }, 60_000);
});
