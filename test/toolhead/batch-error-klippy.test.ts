// A G-code error in batch mode stops the run the way klippy's does: exit status 255 and the MCU
// stream cut at the same place, checked against real klippy (scripts/lib/klippy-oracle.ts).
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { compareWithKlippy, klippyMissing } from "../../scripts/lib/klippy-oracle.ts";
import { CARTESIAN_MOTION_CFG } from "../support/printer-configs.ts";
import { dictPath } from "../support/reference.ts";
import { runStepline } from "../support/cli.ts";
import { TempDir } from "../support/temp-dir.ts";

const tmp = new TempDir("stepline-batch-error-");
afterAll(() => tmp.remove());
const cfg = tmp.write("printer.cfg", CARTESIAN_MOTION_CFG);
const dicts = { mcu: dictPath("atmega2560.dict") };

// An error after moves that already reached the MCU, one whose queued moves never do, one in a later
// input block (after 4 KiB of moves); an unknown command is only a message (klippy runs on, exit 0)
const CASES: [string, string, number][] = [
  ["out of range after a dwell", "G28\nG1 X10 Y10 F6000\nG4 P100\nM400\nG1 X20\nG1 X250\nG1 X30\n", 255],
  ["extrude without an extruder", "G28\nG1 X1 F6000\nG1 X2 E1\nG1 X3\n", 255],
  ["error in a later input block", `G28\n${Array.from({ length: 400 }, (_, i) => `G1 X${(i % 50) + 1} Y${(i * 7) % 60} F9000`).join("\n")}\nG1 Z-5\nG1 X1\n`, 255],
  ["unknown command", "G28\nG1 X5 F6000\nM400\nFOO_BAR\nG1 X9\n", 0],
];

describe.skipIf(klippyMissing() !== null)("batch stops at the first G-code error like klippy", () => {
  for (const [name, gcode, status] of CASES) {
    test(name, async () => {
      const dir = join(tmp.path, name.replace(/\W+/g, "-"));
      const input = tmp.write(`${name.replace(/\W+/g, "-")}.gcode`, gcode);
      const r = await compareWithKlippy(dir, cfg, input, dicts);
      expect(r.klippy.exitCode).toBe(status);
      expect(r.stepline.result).toBe(status ? "error_exit" : "exit");
      expect(r.summary).toStartWith("PASS");
      expect(r.offsetTicks).toBe(0);
    }, 60_000);
  }
});

test("`stepline batch` exits with klippy's status 255 after a G-code error", () => {
  const input = tmp.write("bad.gcode", "G28\nG1 X250 F6000\n");
  const r = runStepline("batch", cfg, "-i", input, "-o", join(tmp.path, "bad.serial"), "-d", dicts.mcu);
  expect(r.err).toContain("!! Move out of range");
  expect(r.code).toBe(255);
});
