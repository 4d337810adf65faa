// The macro template engine against Klipper's: Jinja2 with `{ }` expression delimiters and
// Python values. Where python3 with jinja2 is installed, every case is also rendered by the
// real Jinja2 and must match it byte for byte.
import { SHARED_REFERENCE } from "../../support/reference.ts";
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { PrinterConfig } from "../../../src/core/config/printer-config.ts";
import { Template, TemplateError } from "../../../src/extras/macros/template.ts";
import { hasJinja2, pythonOracle } from "./oracle.ts";


const render = (src: string, ctx: Record<string, unknown> = {}) => new Template("gcode_macro T:gcode", src).render(ctx);

/** Context like a macro's: params are strings, as G-code parameters are. */
const CTX = {
  params: { TEMP: "210", BED: "60.5", NAME: "abc", X: "12.5" },
  rawparams: "TEMP=210 BED=60.5",
  pos: 12.25,
  n: 7,
  items: [3, 1.5, 2],
  d: { a: 1, b: "x" },
};

/** [template, what Python/Jinja2 renders]. The expected texts are Jinja2's. */
const CASES: [string, string][] = [
  ["M104 S{params.TEMP}", "M104 S210"],
  ["{ params.TEMP|float } { params.TEMP|int } { params.BED|int } { params.NAME|int } { params.NAME|float(5) }", "210.0 210 60 0 5"],
  ["{ (params.MISSING|default(200))|float } { params.MISSING|default('x') }[{ params.MISSING }]", "200.0 x[]"],
  ["{ params.TEMP|float * 2 } { params.TEMP|int // 4 }", "420.0 52"],
  ['{ "%.1f" % pos } { "%d" % pos } { "%5.2f|%-6s|%03d" % (pos, "ab", n) }', "12.2 12 12.25|ab    |007"],
  ['{ "%s %s" % ("a", 1.0) } { "%x %o %e %g %g" % (255, 8, 12345.678, 0.00001234, 123456789.0) }', "a 1.0 ff 10 1.234568e+04 1.234e-05 1.23457e+08"],
  ['{ "%(a)s-%(b)s" % d } { "%.3f" % 2.0005 } { "%.0f" % 2.5 } { "%.0f" % 3.5 }', "1-x 2.001 2 4"],
  ['{ "%s" % [1, 2] } { "%r" % "x" } { "%5s|" % "ab" } { "%-5d|" % 3 } { "%+d" % 3 } { "%c" % 65 }', "[1, 2] 'x'    ab| 3    | +3 A"],
  ['{ "{} {}".format(1, "b") } { "{:.2f} {:>5} {:<3}|{:^7}".format(pos, "r", "l", "c") } { "{0}{1}{0}".format("a", "b") }', "1 b 12.25     r l  |   c    aba"],
  ['{ "{x:05.1f}".format(x=pos) } { "{:d}".format(5) } { "{:,}".format(1234567) } { "{!r}".format("a") }', "012.2 5 1,234,567 'a'"],
  ["{ 2.5|round } { 3.5|round } { 2.675|round(2) } { pos|round(1) } { 7|round } { -2.5|round(0, 'floor') } { pos|round(1, 'ceil') }", "2.0 4.0 2.67 12.2 7 -3.0 12.3"],
  ["{ 7 // 2 } { 7 / 2 } { 2 ** 3 } { 7 % 3 } { -7 // 2 } { 10 / 5 } { 1 + 1.0 }", "3 3.5 8 1 -4 2.0 2.0"],
  ["{ -7 % 3 } { 7 % -3 } { 7.5 % 2 } { -1 % 360 }", "2 -2 1.5 359"],
  ['{ true } { false } { none } { [1, "a", 2.0] } { {"a": 1} } { (1, 2) } { 1.0 } { 0.1 + 0.2 }', "True False None [1, 'a', 2.0] {'a': 1} (1, 2) 1.0 0.30000000000000004"],
  ["{ 'ABC'.lower() } { 'abc'.upper() } { ' a '.strip() } { 'a,b,c'.split(',') } { 'a b  c'.split() } { 'a,b,c'.split(',', 1) }", "abc ABC a ['a', 'b', 'c'] ['a', 'b', 'c'] ['a', 'b,c']"],
  ["{ 'abc'.replace('b', 'x') } { 'abc'.startswith('a') } { 'x;y'.rsplit(';', 1)[0] } { '-'.join(['a', 'b']) } { '5'.zfill(3) }", "axc True x a-b 005"],
  ["{% if 'xyz' in 'xyzab' %}yes{% else %}no{% endif %}", "yes"],
  ["{% for i in range(3) %}{i}{% if not loop.last %},{% endif %}{% endfor %}", "0,1,2"],
  ["{% for k, v in d.items() %}{k}={v};{% endfor %}", "a=1;b=x;"],
  ["{ items|min } { items|max } { items|sum } { items|length } { items|join('-') } { items|sort } { items|first } { items|last }", "1.5 3 6.5 3 3-1.5-2 [1.5, 2, 3] 3 2"],
  ["{ params.X is defined } { params.Q is defined } { params.Q is not defined }", "True False True"],
  ["{% set x = params.X|float %}{% if x > 10 %}big{% endif %}", "big"],
  ['{ "%s"|format(5) } { "%s-%s"|format(1, 2) }', "5 1-2"],
  ['{ n|string ~ "mm" } { true|string } { 1.5|string } { "a" ~ 1 ~ 2.0 }', "7mm True 1.5 a12.0"],
  ['{ -3.7|int } { 3.7|int } { "0x1A"|int(0, 16) } { "3.9"|int } { 5|float } { true|float } { "1e3"|float }', "-3 3 26 3 5.0 1.0 1000.0"],
  ["{ items|map('string')|join(',') } { items|select('>', 1)|list } { items|reject('>', 1)|list }", "3,1.5,2 [3, 1.5, 2] []"],
  ["{ [1,2,3][1:] } { 'hello'[1:3] } { 'hello'[-1] }", "[2, 3] el o"],
  ["{ rawparams } { params|length }", "TEMP=210 BED=60.5 4"],
  ["{% set d2 = {'k': 'v'} %}{ d2.k } { d2['k'] } { d.get('a') } { d.get('z', 5) } { 'a' in d }", "v v 1 5 True"],
  ["{ n > 5 and 'big' or 'small' } { 'yes' if n > 5 else 'no' } { (pos * 10)|int }", "big yes 122"],
  ["{ 1 == 1.0 } { '1' == 1 } { [1, 2] == [1, 2] } { true == 1 } { 'x' * 3 } { [0] * 2 }", "True False True True xxx [0, 0]"],
  ["{% set ns = namespace(c=0) %}{% for i in items %}{% set ns.c = ns.c + 1 %}{% endfor %}{ ns.c }", "3"],
  ["line1\n{% if true %}\nline2\n{% endif %}\nline3\n", "line1\n\nline2\n\nline3"],
  ["  {%- if true -%}  x  {%- endif -%}  ", "x"],
  ["{# comment #}after { {'a': {'b': 1}}['a']['b'] }", "after 1"],
  // Delimiters: braces nest inside expressions, quotes hide them, `-` strips whitespace
  ["a  {- 1 -}  b", "a1b"],
  ["{ '}' } { \"{\" } { {'a': '}'}['a'] } text } more", "} { } text } more"],
  ["x {%- if true %} y {% endif -%} z {#- c -#} q", "x y zq"],
  ["G1 X{ 1 + 2 }{ 3 } { [1, {'b': [2]}][1]['b'][0] }", "G1 X33 2"],
  ["{% set s = '{% x %}' %}{ s } { 'a\\'b' } { \"say \\\"hi\\\"\" }", "{% x %} a'b say \"hi\""],
];

/** A `printer` like real macros read (values as Klipper's status gives them). */
const PRINTER_CTX = {
  params: { X: "10", E: "2.5" },
  printer: {
    "gcode_macro _CLIENT_VARIABLE": { use_custom_pos: false, custom_park_x: 10.5, speed_move: 0, retract: -1.5 },
    configfile: { settings: { pause_resume: { recover_velocity: 50.5 }, stepper_x: { position_max: 235.5 } } },
    extruder: { can_extrude: true, temperature: 25.5, target: 0.5 },
    toolhead: { homed_axes: "xy", extruder: "extruder", axis_maximum: [235.5, 235.5, 250.5, 0.5], position: [10.5, 20.5, 5.5, 0.5] },
    save_variables: { variables: { offset: 0.25 } },
    pause_resume: { is_paused: false },
    print_stats: { state: "printing", filename: "a.gcode" },
  },
};

/** Idioms from widely used macro collections (park/pause/resume/client variables). */
const REAL_WORLD: [string, string][] = [
  ["{% set client = printer['gcode_macro _CLIENT_VARIABLE']|default({}) %}{ client.use_custom_pos|default(false)|lower == 'true' }", "False"],
  ["{% set client = printer['gcode_macro NOPE']|default({}) %}{ client.speed_move|default(5) }", "5"],
  ["{ printer.configfile.settings.pause_resume.recover_velocity }", "50.5"],
  ["{ printer.extruder.can_extrude|lower }", "true"],
  ["{% set retract = printer['gcode_macro _CLIENT_VARIABLE'].retract|default(1.0)|abs %}{ retract }", "1.5"],
  ["{% set max_z = printer.toolhead.axis_maximum[2]|float %}{% set act_z = printer.toolhead.position[2]|float %}{ [max_z - act_z, 2.0]|min }", "2.0"],
  ["{% if \"xyz\" not in printer.toolhead.homed_axes %}{ \"not homed\" }{% endif %}", "not homed"],
  ["{ printer[printer.toolhead.extruder].temperature < 180 }", "True"],
  ["{ printer.save_variables.variables.get('offset', 0) }", "0.25"],
  ["{ params.X|default(printer.toolhead.position[0])|float }", "10.0"],
  ["{% set speed = params.F|default(3000)|int %}G1 F{speed}", "G1 F3000"],
  ["{ \"%.3f\" % printer.save_variables.variables.offset }", "0.250"],
  ["{% set lst = [] %}{% for i in range(3) %}{% set _ = lst.append(i) %}{% endfor %}{ lst }", "[0, 1, 2]"],
  ["{ ['a','b']|join('\\n') }", "a\nb"],
  ["{ printer.print_stats.state == \"printing\" and not printer.pause_resume.is_paused }", "True"],
  ["{ printer.print_stats.filename|replace('.gcode', '') }", "a"],
  ["{ (printer.extruder.target|int) > 0 }", "False"],
  ["{% set x = params.X|float %}{% set y = params.Y|default(x * 2)|float %}{ x + y }", "30.0"],
  ["{ params|join(',') }", "X,E"],
  ["{% for k in params %}{k}={params[k]} {% endfor %}", "X=10 E=2.5 "],
  ["{ printer.toolhead.homed_axes|upper }", "XY"],
  ["{ 'x' in printer.toolhead.homed_axes and 'y' in printer.toolhead.homed_axes }", "True"],
  ["{ params.E|float|round(1) }", "2.5"],
  ["{ (params.E|float * 60)|int }", "150"],
  ["{ printer.configfile.settings.stepper_x.position_max / 2 }", "117.75"],
  ["{ \"%d\" % (printer.configfile.settings.stepper_x.position_max / 2) }", "117"],
  ["{ 5|string|length }", "1"],
  ["{ \"abc\"|length } { \"ab\" ~ 1.5|string }", "3 ab1.5"],
  ["{ (\"%.1f\" % 0.05) }", "0.1"],
  ["{ '%02d:%02d' % (3, 7) }", "03:07"],
  ["{ printer.toolhead.position|join(' ') }", "10.5 20.5 5.5 0.5"],
  ["{ \"{:.0f}\".format(2.5) } { \"{:.1f}\".format(0.25) }", "2 0.2"],
  ["{ 1 if true }", "1"],
  ["{ params.X ~ '' }", "10"],
  ["{ not params.Q }", "True"],
  ["{ params.Q|default(none) is none }", "True"],
  ["{% set a, b = 1, 2 %}{ a + b }", "3"],
  ["{ [1, 2, 3]|reverse|list } { [3,1,2]|sort(reverse=true) } { ['b','A','c']|sort }", "[3, 2, 1] [3, 2, 1] ['A', 'b', 'c']"],
  ["{ range(1, 10, 3)|list } { range(5)|length }", "[1, 4, 7] 5"],
  ["{ \"Hello World\"|title } { \"hello\"|capitalize } { \" x \"|trim }", "Hello World Hello x"],
  ["{ [1,2,3]|select('odd')|list } { [1,2,3]|map('int')|sum }", "[1, 3] 6"],
  ["{ 10|float / 3 }", "3.3333333333333335"],
  ["{ (10 / 3)|round(2) }", "3.33"],
  ["{ -1 * 5 } { 2 - 0.5 } { 3 * 0.1 }", "-5 1.5 0.30000000000000004"],
  ["{ 'a' < 'b' } { [1] + [2] }", "True [1, 2]"],
];

describe("templates render as Klipper's Jinja2 does", () => {
  test.each(CASES)("%j", (src, expected) => {
    expect(render(src, CTX)).toBe(expected);
  });

  test.each(REAL_WORLD)("%j", (src, expected) => {
    expect(render(src, PRINTER_CTX)).toBe(expected);
  });

  test.skipIf(!hasJinja2)("every case matches Python's Jinja2 (where python3 has jinja2)", () => {
    const theirs = pythonOracle("render", [...CASES.map(([src]) => [src, CTX]), ...REAL_WORLD.map(([src]) => [src, PRINTER_CTX])]);
    const ours = [...CASES.map(([src]) => render(src, CTX)), ...REAL_WORLD.map(([src]) => render(src, PRINTER_CTX))];
    expect(ours).toEqual(theirs);
  });
});

describe("errors name the template and say what went wrong", () => {
  test("syntax errors fail at load with the template name and line", () => {
    expect(() => new Template("gcode_macro BAD:gcode", "G1 X1\nG1 X{ (1 }\n")).toThrow(TemplateError);
    expect(() => new Template("gcode_macro BAD:gcode", "G1 X1\nG1 X{ (1 }\n")).toThrow("Error loading template 'gcode_macro BAD:gcode'\nline 2: G1 X{ (1 } # unexpected '}'");
    expect(() => new Template("gcode_macro BAD:gcode", "{% if x %}")).toThrow(/^Error loading template 'gcode_macro BAD:gcode': /);
    expect(() => new Template("gcode_macro BAD:gcode", "G1 X{1")).toThrow("line 1: G1 X{1 # unexpected end of template, expected '}'");
  });

  test("runtime errors are Python's exception type and message", () => {
    expect(() => render('{ "%d %d" % 1 }')).toThrow("Error evaluating 'gcode_macro T:gcode': TypeError: not enough arguments for format string");
    expect(() => render('{ "%d" % (1, 2) }')).toThrow("TypeError: not all arguments converted during string formatting");
    expect(() => render('{ "%d" % "x" }')).toThrow("TypeError: %d format: a real number is required, not str");
    expect(() => render('{ "%f" % "x" }')).toThrow("TypeError: must be real number, not str");
    expect(() => render('{ "%q" % 1 }')).toThrow("ValueError: unsupported format character 'q' (0x71) at index 1");
    expect(() => render('{ "{} {}".format(1) }')).toThrow("IndexError: Replacement index 1 out of range for positional args tuple");
    expect(() => render("{ 1 / 0 }")).toThrow("ZeroDivisionError: division by zero");
    expect(() => render("{ 5 % 0 }")).toThrow("ZeroDivisionError: integer division or modulo by zero");
    expect(() => render("{ 'a' < 1 }")).toThrow("TypeError: '<' not supported between instances of 'str' and 'int'");
    expect(() => render("{ [].pop() }")).toThrow("IndexError: pop from empty list");
  });
});

describe("every macro template in the reference configs compiles", () => {
  const REF = `${SHARED_REFERENCE}/klipper`;
  const files = [
    ...readdirSync(`${REF}/configs`).filter((f) => f.endsWith(".cfg")).map((f) => `${REF}/configs/${f}`),
    ...readdirSync(`${REF}/cases`).map((c) => `${REF}/cases/${c}/printer.cfg`).filter((p) => existsSync(p)),
  ];
  test("gcode_macro, delayed_gcode, homing_override, idle_timeout templates", () => {
    let count = 0;
    for (const f of files) {
      let cfg: PrinterConfig;
      try {
        cfg = PrinterConfig.load(f);
      } catch {
        continue; // configs with includes of files not shipped
      }
      for (const name of cfg.sectionNames()) {
        if (!/^(gcode_macro|delayed_gcode|homing_override|idle_timeout)\b/.test(name)) continue;
        const section = cfg.getSection(name);
        if (!section.hasOption("gcode")) continue;
        expect(() => new Template(`${name}:gcode`, section.get("gcode"))).not.toThrow();
        count++;
      }
    }
    expect(count).toBeGreaterThan(100);
  });
});
