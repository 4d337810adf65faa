// Every printer.cfg of the Klipper reference (cases + ~230 example configs) must load with
// includes and answer the typed getters without anything but ConfigErrors.
import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { ConfigError, PrinterConfig } from "../../../src/core/config/index.ts";
import { KLIPPER_REFERENCE } from "../../support/reference.ts";

const REF = KLIPPER_REFERENCE;
const caseConfigs = readdirSync(`${REF}/cases`, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => `${REF}/cases/${d.name}/printer.cfg`);
const exampleConfigs = readdirSync(`${REF}/configs`)
  .filter((f) => f.endsWith(".cfg"))
  .map((f) => `${REF}/configs/${f}`);

/** Try every getter on every option; count how each went. */
function exercise(config: PrinterConfig) {
  const counts = { options: 0, floats: 0, ints: 0, booleans: 0, lists: 0, rejected: 0 };
  for (const name of config.sectionNames()) {
    const s = config.getSection(name);
    for (const opt of config.store.options(name)) {
      counts.options++;
      const attempts: [keyof typeof counts, () => unknown][] = [
        ["floats", () => s.getFloat(opt)],
        ["ints", () => s.getInt(opt)],
        ["booleans", () => s.getBoolean(opt)],
        ["lists", () => s.getList(opt)],
      ];
      for (const [key, fn] of attempts) {
        try {
          fn();
          counts[key]++;
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
          expect(e.message).toBe(`Unable to parse option '${opt}' in section '${name}'`);
          counts.rejected++;
        }
      }
    }
  }
  return counts;
}

describe("Klipper reference configs", () => {
  test(`all ${caseConfigs.length} case configs load; their steppers have valid numbers`, () => {
    expect(caseConfigs.length).toBeGreaterThanOrEqual(20);
    for (const path of caseConfigs) {
      const c = PrinterConfig.load(path);
      expect(c.hasSection("printer")).toBe(true);
      expect(c.getSection("printer").get("kinematics")).toMatch(/^[a-z_]+$/);
      for (const st of c.getPrefixSections("stepper_")) {
        expect(st.getFloat("rotation_distance", undefined, { above: 0 })).toBeGreaterThan(0);
        expect(st.getInt("microsteps", undefined, { minval: 1 })).toBeGreaterThan(0);
      }
    }
  });
  test(`all ${exampleConfigs.length} example configs load and every option answers the typed getters`, () => {
    expect(exampleConfigs.length).toBeGreaterThanOrEqual(200);
    const total = { files: 0, sections: 0, options: 0, floats: 0, ints: 0, booleans: 0, lists: 0, rejected: 0 };
    for (const path of [...exampleConfigs, ...caseConfigs]) {
      const c = PrinterConfig.load(path);
      total.files++;
      total.sections += c.sectionNames().length;
      const counts = exercise(c);
      for (const k of Object.keys(counts) as (keyof typeof counts)[]) total[k] += counts[k];
    }
    console.log(`reference configs: ${JSON.stringify(total)}`);
    expect(total.files).toBe(exampleConfigs.length + caseConfigs.length);
    // Every option is a list; numeric options are common in printer configs.
    expect(total.lists).toBe(total.options);
    expect(total.floats).toBeGreaterThan(total.options / 3);
    expect(total.ints).toBeLessThanOrEqual(total.floats);
  });
  test("the multi-MCU Voron case names its second MCU and the macro bodies keep their lines", () => {
    const c = PrinterConfig.load(`${REF}/cases/cfg_voron2_250_motion/printer.cfg`);
    expect(c.getPrefixSections("mcu").map((s) => s.name)).toEqual(["mcu", "mcu z"]);
    const g32 = c.getSection("gcode_macro G32").get("gcode");
    expect(g32.split("\n").length).toBeGreaterThan(3);
    expect(g32.startsWith("\n")).toBe(true);
  });
});
