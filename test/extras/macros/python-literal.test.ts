// Python literals (gcode_macro variables, SET_GCODE_VARIABLE, save_variables) as
// ast.literal_eval reads them; cross-checked against python3 where it is installed.
import { describe, expect, test } from "bun:test";
import { LiteralError, parsePyLiteral } from "../../../src/extras/macros/python-literal.ts";
import { pyReprOf, toRuntime } from "../../../src/extras/macros/python-values.ts";
import { hasPython, pythonOracle } from "./oracle.ts";
const repr = (text: string) => pyReprOf(toRuntime(parsePyLiteral(text)));

/** [literal text, Python's repr of its value] */
const VALID: [string, string][] = [
  ["0", "0"],
  ["-5", "-5"],
  ["+7", "7"],
  ["1_000", "1000"],
  ["0x1F", "31"],
  ["0o17", "15"],
  ["0b101", "5"],
  ["10.0", "10.0"],
  ["-0.5", "-0.5"],
  [".5", "0.5"],
  ["1e3", "1000.0"],
  ["2.5E-3", "0.0025"],
  ["'abc'", "'abc'"],
  ['"it\'s"', '"it\'s"'],
  ["'a\\nb\\t\\x41\\u00e9'", "'a\\nb\\tAé'"],
  ["r'a\\nb'", "'a\\\\nb'"],
  ["'''tri'ple'''", '"tri\'ple"'],
  ["'ab' 'cd'", "'abcd'"],
  ["True", "True"],
  ["False", "False"],
  ["None", "None"],
  ["[]", "[]"],
  ["[1, 2.0, 'x', [None]]", "[1, 2.0, 'x', [None]]"],
  ["[1, 2,]", "[1, 2]"],
  ["(1, 2)", "[1, 2]"],
  ["(5)", "5"],
  ["1, 2", "[1, 2]"],
  ["{}", "{}"],
  ["{'a': 1, 'b': {'c': [1, 2]}}", "{'a': 1, 'b': {'c': [1, 2]}}"],
  ["  42  ", "42"],
  ["{'__proto__': {'a': 1}, 'b': 2}", "{'__proto__': {'a': 1}, 'b': 2}"],
];

/** Text that literal_eval refuses (or json.dumps rejects), and what our error says. */
const INVALID: [string, RegExp][] = [
  ["abc", /malformed node or string: name 'abc'/],
  ["[1, 2", /invalid syntax/],
  ["'open", /unterminated string literal/],
  ["{1, 2}", /set is not JSON serializable/],
  ["b'x'", /bytes is not JSON serializable/],
  ["1j", /complex is not JSON serializable/],
  ["1 2", /invalid syntax/],
  ["", /invalid syntax/],
  ["007", /leading zeros/],
  ["f'x'", /f-string/],
];

describe("Python literals", () => {
  test.each(VALID)("%s", (text, expected) => {
    expect(repr(text)).toBe(expected);
  });

  test.each(INVALID)("%s is refused", (text, message) => {
    expect(() => parsePyLiteral(text)).toThrow(LiteralError);
    expect(() => parsePyLiteral(text)).toThrow(message);
  });

  test.skipIf(!hasPython)("python3 agrees on every value and every refusal", () => {
    // Tuples become lists in our (JSON) model; compare with Python's repr of list(value)
    const theirs = pythonOracle("literal", VALID.map(([t]) => t)).map((r) => r.replace(/^\((.*)\)$/, "[$1]"));
    expect(VALID.map(([t]) => repr(t))).toEqual(theirs);
    const refused = pythonOracle("literal", INVALID.map(([t]) => t));
    expect(refused.every((r) => r.startsWith("!"))).toBe(true);
  });
});
