import { describe, expect, test } from "bun:test";
import { isEmergencyStop, isTraditionalGCode, shlexSplit, tokenizeLine } from "../../../src/core/gcode/index.ts";

// [input line, command, params] — the split Klipper's gcode.py makes.
const CLASSIC: [string, string, Record<string, string>][] = [
  ["G1 X10 Y-2.5 F3000", "G1", { G: "1", X: "10", Y: "-2.5", F: "3000" }],
  ["g1 x1.5 e.2", "G1", { G: "1", X: "1.5", E: ".2" }],
  ["G1X1Y2", "G1", { G: "1", X: "1", Y: "2" }],
  ["  G28  ", "G28", { G: "28" }],
  ["G1 X1 ; move to x", "G1", { G: "1", X: "1" }],
  ["; only a comment", "", {}],
  ["", "", {}],
  ["N123 G1 X1*45", "G1", { N: "123", G: "1", X: "1", "*": "45" }],
  ["n5 m105", "M105", { N: "5", M: "105" }],
  ["N7 T0", "T0", { N: "7", T: "0" }],
  ["M117 Hello World", "M117", { M: "117", HELLO: "", WORLD: "" }],
  ["M117 1.5 done", "M117 1.5", { M: "117 1.5", DONE: "" }],
  ["M23 file.gcode", "M23", { M: "23", FILE: ".", GCODE: "" }],
  ["M23 1.gcode", "M23 1.", { M: "23 1.", GCODE: "" }],
  ["G1 X", "G1", { G: "1", X: "" }],
  ["G1 X1 X2", "G1", { G: "1", X: "2" }],
  ["G1 X_Y1", "G1", { G: "1", X_Y: "1" }],
  ["SET_VELOCITY_LIMIT VELOCITY=100", "SET_VELOCITY_LIMIT", { SET_VELOCITY_LIMIT: "", VELOCITY: "=100" }],
  ["123", "123", {}],
  ["G1 X(paren)", "G1", { G: "1", X: "(", PAREN: ")" }],
  ["G1 X1**2", "G1", { G: "1", X: "1", "*": "2" }],
];

describe("classic G-code tokenising (Klipper's rules)", () => {
  for (const [line, command, params] of CLASSIC) {
    test(JSON.stringify(line), () => {
      const t = tokenizeLine(line);
      expect(t.command).toBe(command);
      expect(t.params).toEqual(params);
      expect(t.line).toBe(line.trim());
    });
  }
});

describe("extended parameter splitting (shlex, posix)", () => {
  const CASES: [string, string[]][] = [
    ["VELOCITY=100 ACCEL=5000", ["VELOCITY=100", "ACCEL=5000"]],
    ['MSG="hello world" X=1', ["MSG=hello world", "X=1"]],
    ["MSG='it''s' Y=2", ["MSG=its", "Y=2"]],
    ['A="say \\"hi\\"" B="\\n"', ['A=say "hi"', "B=\\n"]],
    ["A=b\\ c", ["A=b c"]],
    ["A=1 ; comment B=2", ["A=1"]],
    ["A=1#2 B=3", ["A=1"]],
    ['A=""', ["A="]],
    ["", []],
    ["  \t ", []],
  ];
  for (const [text, words] of CASES) test(JSON.stringify(text), () => expect(shlexSplit(text)).toEqual(words));
  test("unterminated quotes and trailing escapes are errors", () => {
    expect(() => shlexSplit('A="open')).toThrow("No closing quotation");
    expect(() => shlexSplit("A=x\\")).toThrow("No escaped character");
  });
});

describe("helpers", () => {
  test("traditional G-code names", () => {
    for (const c of ["G1", "M117", "G28.1", "T0", "m104"]) expect(isTraditionalGCode(c)).toBe(true);
    for (const c of ["G", "SET_X", "GX1", "", "M1A"]) expect(isTraditionalGCode(c)).toBe(false);
  });
  test("emergency stop detection on raw input lines", () => {
    for (const l of ["M112", "m112", "N5 M112", "M112 ; now", "  M112"]) expect(isEmergencyStop(l)).toBe(true);
    for (const l of ["M1120", "G1 M112", "M11"]) expect(isEmergencyStop(l)).toBe(false);
  });
});
