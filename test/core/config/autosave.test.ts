import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { AUTOSAVE_HEADER, PrinterConfig, splitAutosave } from "../../../src/core/config/index.ts";
import { TempDir } from "../../support/temp-dir.ts";

const tmp = new TempDir();
afterAll(() => tmp.remove());

const block = (...lines: string[]) => `${AUTOSAVE_HEADER}${lines.map((l) => `#*# ${l}`.trim()).join("\n")}\n`;

describe("SAVE_CONFIG block", () => {
  test("the header text is Klipper's", () => {
    expect(AUTOSAVE_HEADER).toBe(
      "\n#*# <---------------------- SAVE_CONFIG ---------------------->\n#*# DO NOT EDIT THIS BLOCK OR BELOW. The contents are auto-generated.\n#*#\n",
    );
  });
  test("block values are merged; a value also set above it is ignored (regular config wins)", () => {
    const text = `[extruder]\ncontrol: pid\npid_kp: 1.0\n${block("[extruder]", "pid_kp = 22.2", "pid_ki = 1.08", "", "[bed_mesh default]", "version = 1", "points =", "\t0.1, 0.2", "\t0.3, 0.4")}`;
    const c = PrinterConfig.load(tmp.write("a.cfg", text));
    expect(c.rawConfig()).toEqual({
      extruder: { control: "pid", pid_kp: "1.0", pid_ki: "1.08" },
      "bed_mesh default": { version: "1", points: "\n0.1, 0.2\n0.3, 0.4" },
    });
    expect(c.autosave.store.sections()).toEqual(["extruder", "bed_mesh default"]);
    expect(c.autosave.store.options("extruder")).toEqual(["pid_ki"]);
    // Autosaved options are never reported as unused.
    c.getSection("extruder").get("control");
    c.getSection("extruder").get("pid_kp");
    expect(c.findUnused(["extruder"])).toEqual([]);
  });
  test("edits after the header make the whole block ignored, with a warning", () => {
    const text = `[s]\na: 1\n${block("[s]", "b = 2")}[manual]\nz: 1\n`;
    const split = splitAutosave(text);
    expect(split.autosave).toBe("");
    expect(split.warning).toBe("Can't read autosave from config file - modifications after header");
    const c = PrinterConfig.load(tmp.write("b.cfg", text));
    expect(c.warnings).toEqual([split.warning!]);
    // The file is then read as plain config: '#*#' lines are comments.
    expect(c.rawConfig()).toEqual({ s: { a: "1" }, manual: { z: "1" } });
  });
  test("'#*# ' lines above the header mean corruption", () => {
    expect(splitAutosave(`[s]\n#*# [x]\n${block("[s]", "b = 2")}`).warning).toBe("Can't read autosave from config file - autosave state corrupted");
  });
  test("set() + save() writes the block back, comments out duplicates above it and keeps a backup", () => {
    const d = new TempDir();
    try {
      const path = d.write("printer.cfg", `[extruder]\ncontrol: pid\npid_kp: 1.0\n  # note\n[heater_bed]\nmax_temp: 100\n${block("[heater_bed]", "pid_kp = 5")}`);
      const c = PrinterConfig.load(path);
      c.autosave.set("extruder", "pid_kp", 21.5);
      c.autosave.set("extruder", "pid_ki", "1.1");
      c.autosave.set("probe", "z_offset", 1.25);
      expect(c.autosave.pending).toBe(true);
      expect(c.autosave.pendingItems).toEqual({ extruder: { pid_kp: "21.5", pid_ki: "1.1" }, probe: { z_offset: "1.25" } });
      const backup = c.autosave.save(new Date(2026, 0, 2, 3, 4, 5));
      expect(backup).toBe(`${d.path}/printer-20260102_030405.cfg`);
      expect(existsSync(backup!)).toBe(true);
      expect(readdirSync(d.path).sort()).toEqual(["printer-20260102_030405.cfg", "printer.cfg"]);
      const written = readFileSync(path, "utf8");
      expect(written).toContain("#pid_kp: 1.0\n");
      expect(written.endsWith(`${AUTOSAVE_HEADER}#*# [heater_bed]\n#*# pid_kp = 5\n#*#\n#*# [extruder]\n#*# pid_kp = 21.5\n#*# pid_ki = 1.1\n#*#\n#*# [probe]\n#*# z_offset = 1.25\n`)).toBe(true);
      const again = PrinterConfig.load(path).rawConfig();
      expect(again.extruder).toEqual({ control: "pid", pid_kp: "21.5", pid_ki: "1.1" });
      expect(again.probe).toEqual({ z_offset: "1.25" });
      expect(again.heater_bed).toEqual({ max_temp: "100", pid_kp: "5" });
    } finally {
      d.remove();
    }
  });
  test("removeSection drops a saved section on the next save", () => {
    const d = new TempDir();
    try {
      const path = d.write("printer.cfg", `[printer]\nkinematics: none\n${block("[bed_mesh default]", "version = 1", "", "[probe]", "z_offset = 2")}`);
      const c = PrinterConfig.load(path);
      c.autosave.removeSection("bed_mesh default");
      expect(c.autosave.pendingItems).toEqual({ "bed_mesh default": null });
      c.autosave.save();
      expect(Object.keys(PrinterConfig.load(path).rawConfig())).toEqual(["printer", "probe"]);
    } finally {
      d.remove();
    }
  });
  test("saving a value that an include also sets is refused", () => {
    const d = new TempDir();
    try {
      d.write("inc.cfg", "[probe]\nz_offset: 1\n");
      const path = d.write("printer.cfg", "[include inc.cfg]\n");
      const c = PrinterConfig.load(path);
      c.autosave.set("probe", "z_offset", 2);
      expect(() => c.autosave.save()).toThrow("SAVE_CONFIG section 'probe' option 'z_offset' conflicts with included value");
      expect(readdirSync(d.path).sort()).toEqual(["inc.cfg", "printer.cfg"]);
    } finally {
      d.remove();
    }
  });
});
