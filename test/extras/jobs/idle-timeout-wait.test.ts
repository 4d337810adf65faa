// idle_timeout stays "Printing" through M109 / M190 waits, as Klipper's does (it tests the G-code
// mutex and the wait loop keeps the toolhead's print time current): no idle_timeout:ready mid-wait.
import { afterAll, describe, expect, test } from "bun:test";
import type { IdleTimeout } from "../../../src/extras/jobs/idle-timeout.ts";
import { startTestPrinter, type TestPrinter } from "../../live/helpers.ts";

let t: TestPrinter;
afterAll(() => t?.close());

describe("idle_timeout during temperature waits", () => {
  for (const [wait, heater] of [["M109 S70", "extruder"], ["M190 S40", "heater_bed"]] as const) {
    test(`${wait}: Printing for the whole wait`, async () => {
      t ??= await startTestPrinter();
      const idle = t.lp.printer.lookupObject<IdleTimeout>("idle_timeout");
      const states = new Set<string>();
      const ready: number[] = [];
      t.lp.printer.registerEventHandler("idle_timeout:ready", () => void ready.push(performance.now()));
      const start = performance.now();
      let done = false;
      const run = t.lp.printer.gcode.runScript(wait).finally(() => (done = true));
      while (!done) {
        await Bun.sleep(50);
        if (!done) states.add(idle.state);
      }
      await run;
      const waited = (performance.now() - start) / 1000;
      // long enough that Stepline's old behaviour (Ready ~1 s into the wait) would show
      expect(waited).toBeGreaterThan(2);
      expect([...states]).toEqual(["Printing"]);
      expect(ready).toEqual([]);
      const status = t.lp.printer.lookupObject<{ getStatus(e: number): { temperature: number } }>(heater).getStatus(0);
      expect(status.temperature).toBeGreaterThan(Number(wait.split("S")[1]) - 1);
      await t.run(`${wait.split(" ")[0] === "M109" ? "M104" : "M140"} S0`);
    }, 120_000);
  }
});
