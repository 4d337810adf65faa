// The bundled example printer (firmware-bridge/examples): the hardware file loads and the config is
// wired to it. That it heats under real klippy is test/vmcu/example-heat.test.ts.
import { describe, expect, test } from "bun:test";
import type { HardwareConfig } from "../../firmware-bridge/index.ts";
import { VIRTUAL_PRINTER_CFG, VIRTUAL_PRINTER_HARDWARE, VirtualMcu } from "../../firmware-bridge/index.ts";

const dir = new URL("../../firmware-bridge/examples/", import.meta.url).pathname;
const hardware = JSON.parse(await Bun.file(dir + "virtual-printer.json").text()) as HardwareConfig;
const cfgText = await Bun.file(dir + "virtual-printer.cfg").text();

/** The [section] key: value pairs of a printer.cfg (enough for this example file). */
function sections(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let cur: Map<string, string> | null = null;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    const head = /^\[(.+)\]$/.exec(line);
    if (head) out.set(head[1]!, (cur = new Map()));
    else if (line && cur) {
      const [k, ...v] = line.split(":");
      cur.set(k!.trim(), v.join(":").trim());
    }
  }
  return out;
}

const pinName = (p: string) => p.replace(/^[\^~!]+/, "");

describe("example virtual printer", () => {
  const cfg = sections(cfgText);

  test("the hardware file loads, and the embedded copies are these files", () => {
    expect(() => new VirtualMcu({ hardware })).not.toThrow();
    expect(VIRTUAL_PRINTER_HARDWARE).toEqual(hardware);
    expect(VIRTUAL_PRINTER_CFG).toBe(cfgText);
  });

  test("every endstop of the config is wired to the axis of its stepper, closing at position_endstop", () => {
    for (const axis of ["stepper_x", "stepper_y", "stepper_z"]) {
      const s = cfg.get(axis)!;
      const stepsPerMm = (200 * Number(s.get("microsteps"))) / Number(s.get("rotation_distance"));
      const e = hardware.endstops!.find((x) => x.pin === pinName(s.get("endstop_pin")!));
      expect(e?.stepPin).toBe(s.get("step_pin")!);
      expect(e!.triggerAt).toBe(Number(s.get("position_endstop")) * stepsPerMm);
      expect(e!.triggeredLevel ?? 1).toBe(s.get("endstop_pin")!.includes("!") ? 0 : 1);
      const a = hardware.axes!.find((x) => x.stepPin === s.get("step_pin"));
      const startMm = a!.initialPosition! / stepsPerMm;
      expect(startMm).toBeGreaterThan(Number(s.get("position_endstop")));
      expect(startMm).toBeLessThan(Number(s.get("position_max")));
    }
  });

  test("every heater of the config has a simulated body with a thermistor on its sensor pin", () => {
    for (const name of ["extruder", "heater_bed"]) {
      const s = cfg.get(name)!;
      const h = hardware.heaters!.find((x) => x.heaterPin === pinName(s.get("heater_pin")!));
      expect(h?.thermistorPin).toBe(s.get("sensor_pin")!);
      expect(s.get("sensor_type")).toBe("Generic 3950"); // beta 3950, 100 kΩ: the simulated thermistor
      expect(25 + h!.maxRise!).toBeGreaterThan(Number(s.get("max_temp")));
    }
  });
});
