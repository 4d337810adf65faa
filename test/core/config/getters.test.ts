import { describe, expect, test } from "bun:test";
import { ConfigError, PrinterConfig } from "../../../src/core/config/index.ts";
import { thrownMessage } from "../../support/errors.ts";

const cfg = () =>
  PrinterConfig.fromText(
    [
      "[stepper_x]",
      "microsteps: 16",
      "rotation_distance: 40",
      "position_min: -5.5",
      "full_steps_per_rotation: 200.5",
      "endstop_pin: ^PA1",
      "homing_positive_dir: Yes",
      "bad_bool: maybe",
      "kind: tmc2209",
      "numbers: 1, 2,3",
      "floats: 0.5,1e-3 , -2",
      "empty:",
      "points:",
      "  10, 10",
      "  20,20",
      "",
      "  30, 30",
      "aliases: EXP1_1=PE9, EXP1_2=PE10, , EXP1_3 = PE11",
      "sci: 1e3",
      "under: 1_000",
    ].join("\n"),
  ).getSection("stepper_x");

const err = (fn: () => unknown) => thrownMessage(ConfigError, fn);

describe("typed getters", () => {
  test("values parse like Python int()/float()", () => {
    const s = cfg();
    expect(s.getInt("microsteps")).toBe(16);
    expect(s.getFloat("rotation_distance")).toBe(40);
    expect(s.getFloat("position_min")).toBe(-5.5);
    expect(s.getFloat("sci")).toBe(1000);
    expect(s.getInt("under")).toBe(1000);
    expect(s.getBoolean("homing_positive_dir")).toBe(true);
    expect(s.get("endstop_pin")).toBe("^PA1");
  });
  test("defaults: used when absent, null allowed, required without one", () => {
    const s = cfg();
    expect(s.getFloat("missing", 2.5)).toBe(2.5);
    expect(s.getFloat("missing", null)).toBeNull();
    expect(err(() => s.getFloat("missing"))).toBe("Option 'missing' in section 'stepper_x' must be specified");
  });
  test("unparseable values name section and option", () => {
    const s = cfg();
    expect(err(() => s.getInt("full_steps_per_rotation"))).toBe("Unable to parse option 'full_steps_per_rotation' in section 'stepper_x'");
    expect(err(() => s.getFloat("kind"))).toBe("Unable to parse option 'kind' in section 'stepper_x'");
    expect(err(() => s.getBoolean("bad_bool"))).toBe("Unable to parse option 'bad_bool' in section 'stepper_x'");
    expect(err(() => s.getIntList("floats"))).toBe("Unable to parse option 'floats' in section 'stepper_x'");
  });
  test("bounds use Klipper's wording; float bounds print like Python floats", () => {
    const s = cfg();
    expect(err(() => s.getInt("microsteps", undefined, { minval: 32 }))).toBe("Option 'microsteps' in section 'stepper_x' must have minimum of 32");
    expect(err(() => s.getInt("microsteps", undefined, { maxval: 8 }))).toBe("Option 'microsteps' in section 'stepper_x' must have maximum of 8");
    expect(err(() => s.getFloat("position_min", undefined, { above: 0 }))).toBe("Option 'position_min' in section 'stepper_x' must be above 0.0");
    expect(err(() => s.getFloat("rotation_distance", undefined, { below: 40 }))).toBe("Option 'rotation_distance' in section 'stepper_x' must be below 40.0");
    expect(err(() => s.getFloat("rotation_distance", undefined, { maxval: 0.00001 }))).toBe("Option 'rotation_distance' in section 'stepper_x' must have maximum of 1e-05");
    expect(s.getFloat("rotation_distance", undefined, { above: 0, maxval: 40 })).toBe(40);
  });
  test("choices: list, map, numeric list", () => {
    const s = cfg();
    expect(s.getChoice("kind", ["tmc2208", "tmc2209"])).toBe("tmc2209");
    expect(s.getChoice("kind", { tmc2209: 9, tmc2208: 8 })).toBe(9);
    expect(s.getChoice("microsteps", [1, 2, 4, 8, 16])).toBe(16);
    expect(s.getChoice("absent", ["a", "b"], "b")).toBe("b");
    expect(err(() => s.getChoice("kind", ["a4988"]))).toBe("Choice 'tmc2209' for option 'kind' in section 'stepper_x' is not a valid choice");
  });
  test("lists: separators, counts, nesting, empty values", () => {
    const s = cfg();
    expect(s.getIntList("numbers")).toEqual([1, 2, 3]);
    expect(s.getFloatList("floats")).toEqual([0.5, 0.001, -2]);
    expect(s.getList("empty")).toEqual([]);
    expect(s.getIntList("numbers", undefined, { count: 3 })).toEqual([1, 2, 3]);
    expect(err(() => s.getIntList("numbers", undefined, { count: 2 }))).toBe("Option 'numbers' in section 'stepper_x' must have 2 elements");
    expect(s.getLists("points", undefined, { seps: [",", "\n"], parser: Number })).toEqual([[10, 10], [20, 20], [30, 30]]);
    expect(s.getLists("aliases", undefined, { seps: ["=", ","], count: 2 })).toEqual([["EXP1_1", "PE9"], ["EXP1_2", "PE10"], ["EXP1_3", "PE11"]]);
    expect(s.getList("missing", ["mcu"])).toEqual(["mcu"]);
  });
  test("prefix sections and options", () => {
    const c = PrinterConfig.fromText("[stepper_x]\na: 1\n[stepper_y]\n[extruder]\nstep_pin: PA1\n[stepper_z1]\npressure_a: 1\npressure_b: 2\nother: 3\n");
    expect(c.getPrefixSections("stepper_").map((s) => s.name)).toEqual(["stepper_x", "stepper_y", "stepper_z1"]);
    expect(c.getSection("stepper_z1").getPrefixOptions("pressure_")).toEqual(["pressure_a", "pressure_b"]);
  });
});

describe("unused options and sections", () => {
  test("options nobody read are reported with Klipper's wording", () => {
    const c = PrinterConfig.fromText("[fan]\npin: PA1\nmax_powr: 0.5\n[mystery]\nx: 1\n[printer]\nkinematics: none\n");
    const fan = c.getSection("fan");
    fan.get("pin");
    fan.getFloat("max_power", 1.0);
    c.getSection("printer").get("kinematics");
    expect(c.findUnused()).toEqual([{ section: "fan", sectionName: "fan", option: "max_powr" }, { section: "mystery", sectionName: "mystery" }]);
    expect(() => c.checkUnused()).toThrow("Option 'max_powr' is not valid in section 'fan'");
    expect(c.findUnused(["mystery"]).map((u) => [u.section, u.option])).toEqual([["fan", "max_powr"], ["mystery", "x"]]);
  });
  test("reads with noteValid:false do not count; defaults are recorded as settings", () => {
    const c = PrinterConfig.fromText("[fan]\npin: PA1\n");
    c.getSection("fan").get("pin", undefined, { noteValid: false });
    c.getSection("fan").getFloat("cycle_time", 0.01);
    expect(c.findUnused().map((u) => [u.section, u.option])).toEqual([["fan", "pin"]]);
    expect(c.settings()).toEqual({ fan: { cycle_time: 0.01 } });
  });
  test("section match for unused check is case-insensitive like Klipper", () => {
    const c = PrinterConfig.fromText("[Fan]\npin: PA1\n");
    expect(c.findUnused(["fan"])).toEqual([{ section: "fan", sectionName: "Fan", option: "pin" }]);
  });
});
