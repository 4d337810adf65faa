// The raw ADC range-check bounds Klipper sent for every analog heater sensor in the reference cases
// (query_analog_in min_value/max_value in parsedump.txt) must come out of our thermistor math exactly.
import { SHARED_REFERENCE } from "../../support/reference.ts";
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BUILTIN_THERMISTORS } from "../../../src/extras/heaters/builtin-sensors.ts";
import { rawRange } from "../../../src/core/mcu-pins/mcu-adc.ts";
import { Thermistor } from "../../../src/extras/heaters/thermistor.ts";

const REF = `${SHARED_REFERENCE}/klipper`;

/** Sections of a plain printer.cfg (no includes, no multi-line values needed here). */
function scanSections(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let cur: Map<string, string> | null = null;
  for (const raw of text.split("\n")) {
    if (raw.startsWith("#*#")) break; // SAVE_CONFIG block
    const line = raw.replace(/[#;].*$/, "").trimEnd();
    const h = /^\[(.+)\]/.exec(line);
    if (h) out.set(h[1]!, (cur = new Map()));
    else if (cur && /^\S/.test(line)) {
      const m = /^([^:=]+?)\s*[:=]\s*(.*)$/.exec(line);
      if (m) cur.set(m[1]!.toLowerCase(), m[2]!);
    }
  }
  return out;
}

interface Expected { caseName: string; section: string; adcMax: number; opts: Map<string, string>; min: number; max: number }

function referenceSensors(): Expected[] {
  const rows: Expected[] = [];
  for (const caseName of readdirSync(join(REF, "cases")).sort()) {
    const dir = join(REF, "cases", caseName);
    if (!existsSync(join(dir, "parsedump.txt"))) continue;
    const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8"));
    const dict = JSON.parse(readFileSync(join(REF, "dict", meta.dicts.mcu), "utf8"));
    const dump = readFileSync(join(dir, "parsedump.txt"), "utf8");
    const pinOid = new Map<string, number>();
    for (const m of dump.matchAll(/^config_analog_in oid=(\d+) pin=(\S+)$/gm)) pinOid.set(m[2]!, Number(m[1]));
    const ranges = new Map<number, [number, number]>();
    for (const m of dump.matchAll(/^query_analog_in oid=(\d+) .* min_value=(\d+) max_value=(\d+)/gm))
      ranges.set(Number(m[1]), [Number(m[2]), Number(m[3])]);
    for (const [section, opts] of scanSections(readFileSync(join(dir, "printer.cfg"), "utf8"))) {
      const type = opts.get("sensor_type");
      const pin = opts.get("sensor_pin");
      if (!type || !pin || !(type in BUILTIN_THERMISTORS) || pin.includes(":")) continue;
      const range = ranges.get(pinOid.get(pin)!);
      if (!range) continue;
      rows.push({ caseName, section, adcMax: dict.config.ADC_MAX, opts, min: range[0], max: range[1] });
    }
  }
  return rows;
}

describe("ADC range check values match Klipper's reference output", () => {
  const rows = referenceSensors();
  test("the reference cases provide heater sensors to compare", () => {
    expect(rows.length).toBeGreaterThanOrEqual(25);
  });
  for (const r of rows) {
    test(`${r.caseName} [${r.section}] min_value=${r.min} max_value=${r.max}`, () => {
      const th = new Thermistor(
        Number(r.opts.get("pullup_resistor") ?? 4700),
        Number(r.opts.get("inline_resistor") ?? 0),
        BUILTIN_THERMISTORS[r.opts.get("sensor_type")!]!,
      );
      // temperature_sensor sections default to an unbounded range.
      const minT = Number(r.opts.get("min_temp") ?? -273.15);
      const maxT = Number(r.opts.get("max_temp") ?? 99999999.9);
      const [lo, hi] = [th.calcAdc(minT), th.calcAdc(maxT)].sort((a, b) => a - b);
      expect(rawRange(lo!, hi!, 8 * r.adcMax)).toEqual([r.min, r.max]);
    });
  }
});
