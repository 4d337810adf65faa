// A shutdown while G-code is waiting ends it, as in Klipper: a gcode/script call for G28 that is
// homing when emergency_stop arrives rejects with the shutdown error instead of never answering,
// and after a shutdown during a virtual-SD print M27 answers (Klipper: the shutdown message, as for
// every command that is not allowed while not ready).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { HostError } from "../../src/core/host.ts";
import type { LiveHost } from "../../src/live/host.ts";
import { startVirtualHost, type VirtualHost } from "../support/virtual-host.ts";
import { slicedFile } from "./sliced-file.ts";

setDefaultTimeout(60_000);

let vh: VirtualHost;
let host: LiveHost;
let gcodesDir: string;

beforeAll(async () => {
  vh = await startVirtualHost("stepline-shutdown-");
  host = vh.host;
  gcodesDir = vh.gcodesDir;
});

afterAll(() => vh?.close());

/** Settles within `ms` or reports that it did not. */
function within<T>(p: Promise<T>, ms: number): Promise<{ value?: T; error?: unknown; timedOut?: true }> {
  return Promise.race([p.then((value) => ({ value }), (error: unknown) => ({ error })), Bun.sleep(ms).then(() => ({ timedOut: true as const }))]);
}

/** Resolves once the Host reports `state` (fails after 30 s). */
async function untilState(state: string): Promise<void> {
  for (const deadline = Date.now() + 30_000; host.state().state !== state; await Bun.sleep(50))
    if (Date.now() > deadline) throw new Error(`not ${state}: ${JSON.stringify(host.state())}`);
}

describe("a shutdown ends pending G-code", () => {
  test.each([
    ["while it homes", 300],
    ["while it moves", 2500],
  ])("after emergency_stop during a virtual-SD print (%s), M27 answers with the shutdown error", async (_when, afterMs) => {
    writeFileSync(join(gcodesDir, "square.gcode"), `G28\n${slicedFile({ layers: 40 })}`);
    await host.call("gcode/script", { script: 'SDCARD_PRINT_FILE FILENAME="square.gcode"' });
    await Bun.sleep(afterMs);
    const printing = (await host.call("objects/query", { objects: { print_stats: ["state"] } })) as { status: { print_stats: { state: string } } };
    expect(printing.status.print_stats.state).toBe("printing");
    await host.call("emergency_stop");
    await untilState("shutdown");
    const r = await within(host.call("gcode/script", { script: "M27" }), 10_000);
    expect(r.timedOut).toBeUndefined();
    expect(r.error).toBeInstanceOf(HostError);
    expect((r.error as HostError).message).toStartWith("Shutdown due to webhooks request");
    // Back to ready for the next case
    await Bun.sleep(500);
    await host.call("gcode/firmware_restart");
    await untilState("ready");
  });

  test("emergency_stop during G28 makes its gcode/script call reject with the shutdown error", async () => {
    const g28 = host.call("gcode/script", { script: "G28" });
    await Bun.sleep(300); // homing has started
    await host.call("emergency_stop");
    const r = await within(g28, 10_000);
    expect(r.timedOut).toBeUndefined();
    expect(r.error).toBeInstanceOf(HostError);
    expect((r.error as HostError).message).toBe("Homing failed due to printer shutdown");
    expect(host.state().state).toBe("shutdown");
  });

  test("emergency_stop during M109 ends the wait: its gcode/script call resolves, as Klipper's wait loop stops at shutdown", async () => {
    await Bun.sleep(500);
    await host.call("gcode/firmware_restart");
    await untilState("ready");
    const m109 = host.call("gcode/script", { script: "M109 S200" });
    await Bun.sleep(500);
    await host.call("emergency_stop");
    const r = await within(m109, 10_000);
    expect(r.timedOut).toBeUndefined();
    expect(r.value).toEqual({});
    expect(host.state().state).toBe("shutdown");
  });
});
