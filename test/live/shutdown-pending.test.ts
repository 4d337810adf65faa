// A shutdown while G-code is waiting ends it, as in Klipper: a gcode/script call for G28 that is
// homing when emergency_stop arrives rejects with the shutdown error instead of never answering.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { HostError } from "../../src/core/host.ts";
import { ensureDataDirs, virtualPrinterConfig, virtualPrinterHardware } from "../../src/live/virtual-printer/index.ts";
import { type LiveHost, startLiveHost } from "../../src/live/host.ts";
import { TempDir } from "../support/temp-dir.ts";

setDefaultTimeout(60_000);

const quiet = { info: () => {}, warn: () => {}, error: () => {} };
let tmp: TempDir;
let host: LiveHost;
let stop: () => Promise<void>;

beforeAll(async () => {
  tmp = new TempDir("stepline-shutdown-");
  const dirs = ensureDataDirs(tmp.path);
  const started = await startLiveHost({
    configText: virtualPrinterConfig({ gcodesDir: dirs.gcodes, idleTimeout: 600, thermalTimeScale: 10 }),
    dataDir: tmp.path,
    log: quiet,
    board: { hardware: virtualPrinterHardware({ thermalTimeScale: 10 }), logCommands: false },
  });
  host = started.host;
  stop = started.stop;
});

afterAll(async () => {
  await stop();
  tmp.remove();
});

/** Settles within `ms` or reports that it did not. */
function within<T>(p: Promise<T>, ms: number): Promise<{ value?: T; error?: unknown; timedOut?: true }> {
  return Promise.race([p.then((value) => ({ value }), (error: unknown) => ({ error })), Bun.sleep(ms).then(() => ({ timedOut: true as const }))]);
}

describe("a shutdown ends pending G-code", () => {
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
});
