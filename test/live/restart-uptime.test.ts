// RESTART after the MCU has been up longer than 2^32 ticks (~60 s at 72 MHz): the host's 64-bit clocks
// go into the MCU's 32-bit clock fields truncated, as Klipper's do, so reconnecting works after hours.
import { describe, expect, test } from "bun:test";
import { startTestPrinter } from "./helpers.ts";

const WRAP = 2 ** 32;
const FREQ = 72_000_000; // the virtual board's clock

describe("RESTART with the MCU clock past 2^32 ticks", () => {
  // Boards up just under 1, 3 and 40 wraps (the last ~48 hours): the clock wraps during the test
  for (const wraps of [1, 3, 40]) {
    test(`board up ${((wraps * WRAP) / FREQ / 3600).toFixed(2)} h: RESTART twice, then heat and move`, async () => {
      const t = await startTestPrinter({ uptime: (wraps * WRAP) / FREQ - 1.5 });
      try {
        const vmcu = t.lp.virtualMcus.get("mcu")!;
        expect(vmcu.clockTicks()).toBeLessThan(wraps * WRAP);
        await t.until(() => vmcu.clockTicks() > wraps * WRAP + FREQ * 0.2, "the MCU clock to pass the wrap");
        for (let i = 0; i < 2; i++) {
          const before = t.lp.printer;
          void t.lp.printer.gcode.runScript("RESTART").catch(() => {});
          await t.until(() => t.lp.printer !== before && t.lp.printer.getStateMessage()[1] === "ready", "ready after RESTART", 30);
        }
        expect(t.output.filter((l) => l.startsWith("!!"))).toEqual([]);
        expect(vmcu.shutdownReason).toBeNull();
        // the ADC queries (clock field) run: the extruder reads a temperature; moves land
        await t.run("G28\nG1 X20 Y30 Z5 F6000\nM400");
        expect(vmcu.position("PA0")).toBe(20 * 80);
        const s = t.lp.printer.lookupObject("extruder") as { getStatus(e: number): { temperature: number } };
        expect(s.getStatus(0).temperature).toBeGreaterThan(15);
      } finally {
        await t.close();
      }
    }, 60_000);
  }
});
