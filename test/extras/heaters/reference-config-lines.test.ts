// For every reference case: build our heater, sensor, fan and output_pin sections from the case's
// printer.cfg into a Printer with a batch Mcu, and compare every config/init line of their oids with
// Klipper's parsedump. Oids of objects we do not build (steppers, endstops, ...) are reserved with
// placeholder oids at the same positions, so the numbering matches.
import { SHARED_REFERENCE, loadDict } from "../../support/reference.ts";
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "../../../src/extras/modules.ts";
import { PrinterConfig } from "../../../src/core/config/index.ts";
import { setupHeater } from "../../../src/extras/heaters/heaters.ts";
import { Printer } from "../../../src/core/printer.ts";
import { Mcu } from "../../../src/mcu/mcu.ts";
import { decodeLines } from "../../support/serial.ts";

const REF = `${SHARED_REFERENCE}/klipper`;
const dir = mkdtempSync(join(tmpdir(), "stepline-heater-ref-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OUR_PREFIXES = ["heater_bed", "heater_generic", "fan", "heater_fan", "controller_fan", "fan_generic", "output_pin", "temperature_sensor"];

/** Pins a section of ours claims (an extruder's stepper pins belong to the toolhead). */
function sectionPins(section: string, opts: Record<string, string>): string[] {
  const names = /^extruder\d*$/.test(section) ? ["sensor_pin", "heater_pin"] : ["sensor_pin", "heater_pin", "pin", "enable_pin"];
  const pins = names.map((o) => opts[o]).filter((p): p is string => !!p).map((p) => p.replace(/^[!^~]+/, "").trim());
  if (opts.sensor_type === "temperature_mcu") pins.push("ADC_TEMPERATURE");
  return pins;
}

interface Plan { section: string; oids: number[]; isExtruder: boolean }

function planCase(caseName: string) {
  const caseDir = join(REF, "cases", caseName);
  const meta = JSON.parse(readFileSync(join(caseDir, "meta.json"), "utf8"));
  if (Object.keys(meta.dicts).length !== 1) return null; // single-MCU cases only
  const config = PrinterConfig.load(join(caseDir, "printer.cfg"));
  const dump = readFileSync(join(caseDir, "parsedump.txt"), "utf8").split("\n").filter(Boolean);
  const pinOid = new Map<string, number>();
  for (const l of dump) {
    const m = /^config_\w+ oid=(\d+) pin=(\S+)/.exec(l);
    if (m && !pinOid.has(m[2]!)) pinOid.set(m[2]!, Number(m[1]));
  }
  const plans: Plan[] = [];
  for (const section of config.sectionNames()) {
    const isExtruder = /^extruder\d*$/.test(section);
    if (!isExtruder && !OUR_PREFIXES.includes(section.split(/\s+/)[0]!)) continue;
    const pins = sectionPins(section, config.rawConfig()[section]!);
    if (!pins.length) continue;
    if (pins.some((p) => !pinOid.has(p))) return null; // aliases or another MCU
    plans.push({ section, oids: pins.map((p) => pinOid.get(p)!).sort((a, b) => a - b), isExtruder });
  }
  plans.sort((a, b) => a.oids[0]! - b.oids[0]!);
  return { caseDir, meta, dump, plans };
}

const cases = readdirSync(join(REF, "cases")).filter((c) => existsSync(join(REF, "cases", c, "parsedump.txt"))).sort();

describe("config lines of heaters, sensors, fans and output pins equal Klipper's", () => {
  let compared = 0;
  for (const caseName of cases) {
    const plan = planCase(caseName);
    if (!plan || !plan.plans.length) continue;
    compared++;
    test(`${caseName}: ${plan.plans.map((p) => p.section).join(", ")}`, async () => {
      const { caseDir, meta, dump, plans } = plan;
      const dict = loadDict(meta.dicts.mcu);
      const out = join(dir, `${caseName}.serial`);
      const printer = new Printer({ config: PrinterConfig.load(join(caseDir, "printer.cfg")), startArgs: { debugoutput: out } });
      const mcu = new Mcu("mcu", { batch: { dict, outputPath: out }, log: { info: () => {}, warn: () => {} } });
      printer.pins.registerChip("mcu", mcu as never);
      printer.addObject("mcu", mcu);
      // Reserve the oids Klipper gave to objects we do not build, in front of each of our sections.
      let nextOid = 0;
      for (const p of plans) {
        const reserve = p.oids[0]! - nextOid;
        mcu.registerConfigCallback(() => { for (let i = 0; i < reserve; i++) mcu.createOid(); });
        if (p.isExtruder) setupHeater(printer, printer.config.getSection(p.section), `T${Number(p.section.slice(8) || 0)}`);
        else printer.loadObject(p.section);
        nextOid = p.oids[0]! + p.oids.length;
      }
      const ours = new Set(plans.flatMap((p) => p.oids));
      await mcu.connect();
      await mcu.close();
      const freq = dict.clockFreq;
      const initClock = Math.trunc(0.2 * freq);
      const select = (lines: string[]) =>
        lines.filter((l) => {
          const m = / oid=(\d+)/.exec(l);
          if (!m || !ours.has(Number(m[1]))) return false;
          const c = /^queue_digital_out .* clock=(\d+) /.exec(l);
          return !c || Number(c[1]) === initClock;
        });
      const got = decodeLines(dict, out);
      const want = select(dump);
      expect(ours.size).toBeGreaterThan(0);
      expect(select(got)).toEqual(want);
    });
  }
  test("enough reference cases were compared", () => {
    expect(compared).toBeGreaterThanOrEqual(10);
  });
});
