// [multi_pin]: one fan (or heater) output driving several MCU pins together.
import { describe, expect, test } from "bun:test";
import "../../../src/motion/modules.ts";
import type { PrinterMotionQueuing } from "../../../src/motion/motion-queuing.ts";
import { simPrinter } from "../../support/printer-rig.ts";

describe("multi_pin", () => {
  test("a fan on a pin group configures and drives every member pin, inverted as asked", async () => {
    const sim = await simPrinter(`
[printer]
kinematics: none
max_velocity: 100
max_accel: 100

[multi_pin part_fans]
pins: PH6, PH4

[fan]
pin: !multi_pin:part_fans
kick_start_time: 0
`);
    sim.printer.loadObject("motion_queuing");
    sim.printer.loadObject("multi_pin part_fans");
    sim.printer.loadObject("fan");
    sim.printer.loadObject("printer");
    await sim.start();
    await sim.printer.gcode.runScript("M106 S255");
    const mq = sim.printer.lookupObject<PrinterMotionQueuing>("motion_queuing");
    while (mq.handleFlushTimer());
    const lines = await sim.outputLines();
    expect(lines).toContain("config_digital_out oid=0 pin=PH6 value=1 default_value=1 max_duration=0");
    expect(lines).toContain("config_digital_out oid=1 pin=PH4 value=1 default_value=1 max_duration=0");
    const full = lines.filter((l) => /^queue_digital_out oid=[01] clock=\d+ on_ticks=0$/.test(l) && !l.includes("clock=3200000"));
    expect(full.length).toBe(2); // full speed on an inverted pin = always low
    await sim.close();
  });

  test("a group not configured, or used twice, is a clear error", async () => {
    const sim = await simPrinter("[multi_pin a]\npins: PH6, PH4\n\n[fan]\npin: multi_pin:b\n\n[fan_generic x]\npin: multi_pin:a\n\n[output_pin y]\npin: multi_pin:a\n");
    sim.printer.loadObject("multi_pin a");
    expect(() => sim.printer.loadObject("fan")).toThrow("multi_pin b not configured");
    sim.printer.loadObject("fan_generic x");
    expect(() => sim.printer.loadObject("output_pin y")).toThrow("pin a used multiple times in config");
    await sim.close();
  });
});
