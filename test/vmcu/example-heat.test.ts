// The bundled example printer (firmware-bridge/examples/virtual-printer.cfg + .json) heats under real
// klippy (the reference tarball) driving `stepline vmcu`: M109 S200 and M190 S60 end without a
// verify_heater shutdown and klippy reads the targets back. The thermal model runs in real time, so
// the wall time is printed, not asserted.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { VIRTUAL_PRINTER_CFG, VIRTUAL_PRINTER_HARDWARE } from "../../firmware-bridge/index.ts";
import { type KlippyLive, klippyLiveMissing, startKlippyLive } from "../support/klippy-live.ts";
import { TempDir } from "../support/temp-dir.ts";

const missing = klippyLiveMissing();
if (missing) console.warn(`skipping example-heat (real klippy): ${missing}`);

type Status = { status: Record<string, { temperature: number; target: number }> };
type Info = { state: string; state_message: string };

describe.skipIf(missing !== null)("the example virtual printer heats under real klippy", () => {
  const tmp = new TempDir("vmcu-heat-");
  let live: KlippyLive;

  beforeAll(async () => {
    live = await startKlippyLive(tmp.path, VIRTUAL_PRINTER_CFG, VIRTUAL_PRINTER_HARDWARE);
  }, 120_000);
  afterAll(async () => {
    await live?.stop();
    tmp.remove();
  });

  /** Sends `command` (a heat-and-wait) and checks what klippy reports once it returns. */
  async function heatAndWait(command: string, heater: string, target: number): Promise<void> {
    const t0 = performance.now();
    try {
      await live.api.gcode(command);
    } catch (e) {
      throw new Error(`${command} failed: ${String(e)}\n${live.logTail()}`);
    }
    const seconds = (performance.now() - t0) / 1000;
    console.log(`example printer: ${command} returned after ${seconds.toFixed(1)} s (wall time, thermal model runs in real time)`);
    const info = await live.api.call<Info>("info");
    expect(info.state).toBe("ready");
    const s = await live.api.call<Status>("objects/query", { objects: { [heater]: ["temperature", "target"] } });
    expect(s.status[heater]!.target).toBe(target);
    expect(Math.abs(s.status[heater]!.temperature - target)).toBeLessThan(3);
    expect(readFileSync(live.log, "utf8")).not.toMatch(/Heater \S+ not heating at expected rate|Transition to shutdown/);
  }

  test("M109 S200 reaches 200 °C without a verify_heater shutdown", () => heatAndWait("M109 S200", "extruder", 200), 300_000);
  test("M190 S60 reaches 60 °C without a verify_heater shutdown", () => heatAndWait("M190 S60", "heater_bed", 60), 400_000);
});
