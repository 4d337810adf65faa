import { afterAll, describe, expect, test } from "bun:test";
import { ConfigError, PrinterConfig } from "../../../src/core/config/index.ts";
import { TempDir } from "../../support/temp-dir.ts";
import { thrownMessage } from "../../support/errors.ts";

const tmp = new TempDir();
afterAll(() => tmp.remove());

let files = 0;

/** Parse text as a main config file and return section → option → raw value. */
function raw(text: string): Record<string, Record<string, string>> {
  return PrinterConfig.load(tmp.write(`p${++files}.cfg`, text)).rawConfig();
}

const loadError = (text: string) => thrownMessage(ConfigError, () => raw(text));

describe("printer.cfg syntax", () => {
  test("both delimiters, option names lower-cased, values trimmed", () => {
    expect(raw("[printer]\nKinematics: cartesian\nmax_velocity=300\nmax_accel :  3000  \n")).toEqual({
      printer: { kinematics: "cartesian", max_velocity: "300", max_accel: "3000" },
    });
  });
  test("the first delimiter splits; the rest stays in the value", () => {
    expect(raw("[s]\na: b=c:d\ne = f: g\n").s).toEqual({ a: "b=c:d", e: "f: g" });
  });
  test("'#' ends a line anywhere, even inside a value", () => {
    expect(raw("[s]\ncolor: #ff0000\nname: a#b\n").s).toEqual({ color: "", name: "a" });
  });
  test("';' is a comment only at line start or after whitespace", () => {
    expect(raw("[s]\na: x ; note\nb: x;y\n; whole line\n").s).toEqual({ a: "x", b: "x;y" });
  });
  test("indented lines continue a value; blank lines inside are kept, trailing ones dropped", () => {
    const v = raw("[gcode_macro T]\ngcode:\n  G28\n\n  G1 X10 ; move\n  # only a comment\n  M117 done\n\n\n[next]\na: 1\n");
    expect(v["gcode_macro T"]!.gcode).toBe("\nG28\n\nG1 X10\n\nM117 done");
    expect(v.next).toEqual({ a: "1" });
  });
  test("a ';' comment line inside a value adds no blank line", () => {
    expect(raw("[s]\nv: a\n  ; c\n  b\n").s!.v).toBe("a\nb");
  });
  test("duplicate sections merge; a later option value replaces the earlier one", () => {
    const v = raw("[stepper_x]\nstep_pin: PA1\ndir_pin: PA2\n[fan]\npin: PB1\n[stepper_x]\nstep_pin: PC1\nenable_pin: PC2\n");
    expect(Object.keys(v)).toEqual(["stepper_x", "fan"]);
    expect(v.stepper_x).toEqual({ step_pin: "PC1", dir_pin: "PA2", enable_pin: "PC2" });
  });
  test("section names keep their case and inner spaces", () => {
    expect(Object.keys(raw("[Heater_Fan  my fan]\na: 1\n"))).toEqual(["Heater_Fan  my fan"]);
  });
  test("[DEFAULT] options apply to every section", () => {
    const v = raw("[DEFAULT]\nshared: 7\n[a]\nx: 1\n[b]\nshared: 8\n");
    expect(v).toEqual({ a: { x: "1", shared: "7" }, b: { shared: "8" } });
  });
  test("CRLF line endings", () => {
    expect(raw("[s]\r\na: 1\r\nb:\r\n  x\r\n").s).toEqual({ a: "1", b: "\nx" });
  });
  test("an option before any section is an error naming file and line", () => {
    const msg = loadError("# header\nfoo: 1\n[s]\n");
    expect(msg).toStartWith("File contains no section headers.\nfile: '");
    expect(msg).toContain(", line: 2\n'foo: 1\\n'");
  });
  test("a line without delimiter is a parsing error listing every bad line", () => {
    const msg = loadError("[s]\na: 1\nbogus line\nb: 2\n=x\n");
    expect(msg).toMatch(/^Source contains parsing errors: '.*\.cfg'\n\t\[line  3\]: 'bogus line\\n'\n\t\[line  5\]: '=x\\n'$/);
  });
  test("a missing file", () => {
    expect(() => PrinterConfig.load(`${tmp.path}/nope.cfg`)).toThrow(`Unable to open config file ${tmp.path}/nope.cfg`);
  });
});

describe("[include]", () => {
  test("globs are relative to the including file, sorted, and parsed in place", () => {
    const d = new TempDir();
    try {
      d.write("cfg/parts/b.cfg", "[fan]\npin: PB\n[printer]\nmax_velocity: 200\n");
      d.write("cfg/parts/a.cfg", "[fan]\npin: PA\nkick_start_time: 0.1\n");
      d.write("cfg/parts/.hidden.cfg", "[hidden]\nx: 1\n");
      d.write("cfg/parts/notes.txt", "[txt]\nx: 1\n");
      d.write("cfg/main.cfg", "[printer]\nmax_velocity: 100\nmax_accel: 10\n[include parts/*.cfg]\n[printer]\nmax_accel: 20\n");
      const c = PrinterConfig.load(`${d.path}/cfg/main.cfg`);
      expect(c.rawConfig()).toEqual({ printer: { max_velocity: "200", max_accel: "20" }, fan: { pin: "PB", kick_start_time: "0.1" } });
      expect(c.files).toEqual([`${d.path}/cfg/main.cfg`, `${d.path}/cfg/parts/a.cfg`, `${d.path}/cfg/parts/b.cfg`]);
    } finally {
      d.remove();
    }
  });
  test("nested includes resolve relative to each file; ?, [] patterns", () => {
    const d = new TempDir();
    try {
      d.write("a/inc1.cfg", "[include sub/x?.cfg]\n");
      d.write("a/sub/x1.cfg", "[one]\nv: 1\n");
      d.write("a/sub/x2.cfg", "[two]\nv: 2\n[include ../../z[0-9].cfg]\n");
      d.write("z5.cfg", "[five]\nv: 5\n");
      d.write("main.cfg", "[include a/inc1.cfg]\n");
      expect(Object.keys(PrinterConfig.load(`${d.path}/main.cfg`).rawConfig())).toEqual(["one", "two", "five"]);
    } finally {
      d.remove();
    }
  });
  test("a glob matching nothing is fine; a missing plain file is an error", () => {
    const d = new TempDir();
    try {
      expect(PrinterConfig.load(d.write("ok.cfg", "[include none/*.cfg]\n[s]\na: 1\n")).rawConfig()).toEqual({ s: { a: "1" } });
      expect(() => PrinterConfig.load(d.write("bad.cfg", "[include missing.cfg]\n"))).toThrow(`Include file '${d.path}/missing.cfg' does not exist`);
    } finally {
      d.remove();
    }
  });
  test("recursive includes are refused", () => {
    const d = new TempDir();
    try {
      d.write("a.cfg", "[include b.cfg]\n");
      d.write("b.cfg", "[include a.cfg]\n");
      expect(() => PrinterConfig.load(`${d.path}/a.cfg`)).toThrow(`Recursive include of config file '${d.path}/a.cfg'`);
    } finally {
      d.remove();
    }
  });
  test("options right after an include need their own section header (Klipper)", () => {
    const d = new TempDir();
    try {
      d.write("x.cfg", "[x]\na: 1\n");
      expect(() => PrinterConfig.load(d.write("m.cfg", "[s]\n[include x.cfg]\nb: 2\n"))).toThrow("File contains no section headers.");
    } finally {
      d.remove();
    }
  });
  test("an indented [include] is not an include", () => {
    expect(() => raw("[s]\na: 1\n  [include nothing.cfg]\n")).not.toThrow();
  });
});
