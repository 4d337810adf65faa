// [gcode_macro] through the real printer: config text in a temp dir, the G-code dispatcher,
// printer objects' status, a toolhead on a batch-mode MCU and the live reactor.
import { afterEach, describe, expect, test } from "bun:test";
import { lookupHeaters } from "../../../src/extras/heaters/heaters.ts";
import { lookupGCodeMacro } from "../../../src/extras/macros/gcode-macro.ts";
import { CARTESIAN_CFG, type Rig, startPrinter } from "../../support/printer-rig.ts";

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});

async function printer(extra: string): Promise<Rig> {
  const rig = await startPrinter(`${CARTESIAN_CFG.replace("max_temp: 250", "max_temp: 250\nmin_extrude_temp: 0")}\n[respond]\n${extra}`);
  rigs.push(rig);
  return rig;
}

/** G-code lines of a rendered script, numbers normalised ("Z20.0" and "Z20" are the same move). */
function commands(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l)
    .map((l) => l.replace(/(?<=[A-Z=])(-?\d+(?:\.\d+)?)\b/g, (n) => String(Number(n))));
}

describe("macros with parameters, conditionals and printer status", () => {
  test("params with defaults and conditionals drive real commands", async () => {
    const rig = await printer(`
[gcode_macro SET_TEMPS]
description: Set hotend and (optionally) bed temperatures
gcode:
  {% set t = params.T|default(200)|int %}
  {% if params.BED is defined %}
    M140 S{params.BED}
  {% endif %}
  M104 S{t}
  RESPOND MSG="{printer.heaters.available_heaters|join(',')} bed was {'%.1f' % printer['heater_bed'].target}"
`);
    // The whole macro renders before its first command runs: status is the state before it
    expect(await rig.run("SET_TEMPS T=215 BED=55")).toEqual(["echo: heater_bed,extruder bed was 0.0"]);
    const heaters = lookupHeaters(rig.printer);
    expect([heaters.lookupHeater("extruder").targetTemp, heaters.lookupHeater("heater_bed").targetTemp]).toEqual([215, 55]);
    expect(await rig.run("SET_TEMPS")).toEqual(["echo: heater_bed,extruder bed was 55.0"]);
    expect([heaters.lookupHeater("extruder").targetTemp, heaters.lookupHeater("heater_bed").targetTemp]).toEqual([200, 55]);
    const help = await rig.run("HELP");
    expect(help.join("\n")).toContain("SET_TEMPS : Set hotend and (optionally) bed temperatures");
  });

  test("printer lookups: homed axes, Coord positions, other macros' variables, membership, config settings", async () => {
    const rig = await printer(`
[gcode_macro PARK]
variable_park_z: 10.0
variable_spots: {'front': [100, 5], 'back': [100, 195]}
gcode:
  {% set spot = spots[params.AT|default('front')] %}
  G1 X{spot[0]} Y{spot[1]} Z{park_z} F6000

[gcode_macro WHERE]
gcode:
  {% set th = printer.toolhead %}
  RESPOND MSG="homed={th.homed_axes} x={th.position.x} y={th.position[1]} z={printer.gcode_move.gcode_position.z}"
  RESPOND MSG="park_z={printer['gcode_macro PARK'].park_z} heaters={'heaters' in printer} nope={'nope' in printer}"
  RESPOND MSG="xmax={printer.configfile.settings.stepper_x.position_max} kin={printer.configfile.settings.printer.kinematics}"
`);
    expect(await rig.run("WHERE")).toContain("echo: homed= x=0.0 y=0.0 z=0.0");
    await rig.run("G28\nPARK AT=back");
    const out = await rig.run("WHERE");
    expect(out).toEqual(["echo: homed=xyz x=100.0 y=195.0 z=10.0", "echo: park_z=10.0 heaters=True nope=False", "echo: xmax=200 kin=cartesian"]);
  });

  test("variables change with SET_GCODE_VARIABLE (Python literals); bad input is a clear error", async () => {
    const rig = await printer(`
[gcode_macro COUNTER]
variable_count: 0
variable_log: []
gcode:
  SET_GCODE_VARIABLE MACRO=COUNTER VARIABLE=count VALUE={count + 1}
  SET_GCODE_VARIABLE MACRO=COUNTER VARIABLE=log VALUE="{log + [params.TAG|default('x')]}"
`);
    await rig.run("COUNTER TAG=a\nCOUNTER TAG=b\nCOUNTER");
    const macro = rig.printer.lookupObject<{ getStatus(): Record<string, unknown> }>("gcode_macro COUNTER");
    expect(macro.getStatus()).toEqual({ count: 3, log: ["a", "b", "x"] });
    await expect(rig.run("SET_GCODE_VARIABLE MACRO=COUNTER VARIABLE=nope VALUE=1")).rejects.toThrow("Unknown gcode_macro variable 'nope'");
    await expect(rig.run("SET_GCODE_VARIABLE MACRO=COUNTER VARIABLE=toString VALUE=1")).rejects.toThrow("Unknown gcode_macro variable 'toString'");
    await expect(rig.run("SET_GCODE_VARIABLE MACRO=COUNTER VARIABLE=count VALUE=abc")).rejects.toThrow(
      "Unable to parse 'abc' as a literal: malformed node or string: name 'abc' in 'SET_GCODE_VARIABLE MACRO=COUNTER VARIABLE=count VALUE=abc'",
    );
    await expect(rig.run("SET_GCODE_VARIABLE MACRO=OTHER VARIABLE=count VALUE=1")).rejects.toThrow("The value 'OTHER' is not valid for MACRO");
    expect(macro.getStatus().count).toBe(3);
  });

  test("rename_existing wraps a built-in command", async () => {
    const rig = await printer(`
[gcode_macro G28]
rename_existing: G28.1
gcode:
  RESPOND MSG="homing {rawparams}"
  G28.1 {rawparams}
`);
    expect(await rig.run("G28 X")).toEqual(["echo: homing X"]);
    const homed = rig.printer.lookupObject<{ getStatus(t: number): { homed_axes: string } }>("toolhead").getStatus(0).homed_axes;
    expect(homed).toBe("x");
    expect(rig.printer.gcode.getCommandHelp()["G28.1"]).toBe("Renamed builtin of 'G28'");
  });

  test("attributes of something undefined are an error, as in Jinja2", async () => {
    const rig = await printer("[gcode_macro TYPO]\ngcode:\n  G1 X{printer.toolhed.position.x}\n");
    await expect(rig.run("TYPO")).rejects.toThrow("Error evaluating 'gcode_macro TYPO:gcode': jinja2.exceptions.UndefinedError: 'dict object' has no attribute 'toolhed'");
  });

  test("a macro calling itself is refused", async () => {
    const rig = await printer("[gcode_macro LOOP]\ngcode:\n  LOOP\n");
    await expect(rig.run("LOOP")).rejects.toThrow("Macro LOOP called recursively");
  });
});

describe("action_* functions", () => {
  test("respond_info, raise_error, call_remote_method and emergency_stop", async () => {
    const rig = await printer(`
[gcode_macro SAY]
gcode:
  {action_respond_info("temp is %.1f" % (params.T|float))}
  {action_respond_info(params.T|float)}
[gcode_macro FAIL]
gcode:
  {% if params.OK is not defined %}
    {action_raise_error("need OK=1")}
  {% endif %}
  RESPOND MSG=fine
[gcode_macro NOTIFY]
gcode:
  {action_call_remote_method("notify_user", message="done", level=2)}
  RESPOND MSG=notified
[gcode_macro STOP]
gcode:
  {action_emergency_stop("testing stop")}
`);
    expect(await rig.run("SAY T=205")).toEqual(["// temp is 205.0", "// 205.0"]);
    await expect(rig.run("FAIL")).rejects.toThrow("Error evaluating 'gcode_macro FAIL:gcode': gcode.CommandError: need OK=1");
    expect(rig.out.at(-1)).toBe("!! Error evaluating 'gcode_macro FAIL:gcode': gcode.CommandError: need OK=1");
    expect(await rig.run("FAIL OK=1")).toEqual(["echo: fine"]);
    const errors: string[] = [];
    const origError = console.error;
    console.error = (m: string) => errors.push(m);
    try {
      expect(await rig.run("NOTIFY")).toEqual(["echo: notified"]);
    } finally {
      console.error = origError;
    }
    expect(errors).toEqual([`action_call_remote_method('notify_user', {"message":"done","level":2}): no API server to forward it to`]);
    expect(rig.printer.isShutdown()).toBe(false);
    // As in Klipper, the rest of the macro's script then meets a printer that is shut down
    await expect(rig.run("STOP")).rejects.toThrow("Shutdown due to testing stop");
    expect(rig.printer.isShutdown()).toBe(true);
    expect(rig.printer.getStateMessage()[0]).toBe("Shutdown due to testing stop");
  });
});

describe("config errors", () => {
  const cases: [string, string][] = [
    ["[gcode_macro A B]\ngcode: G28\n", "Name of section 'gcode_macro A B' contains illegal whitespace"],
    ["[gcode_macro V]\nvariable_x: abc\ngcode: G28\n", "Option 'variable_x' in section 'gcode_macro V' is not a valid literal: malformed node or string: name 'abc'"],
    ["[gcode_macro G28]\nrename_existing: BASE_G28\ngcode: G28\n", "G-Code macro rename of different types ('G28' vs 'BASE_G28')"],
    ["[gcode_macro MY_THING]\nrename_existing: MY_BASE\ngcode: G28\n", "Existing command 'MY_THING' not found in gcode_macro rename"],
    ["[gcode_macro S]\ngcode:\n  G1 X{ (1 }\n", "Error loading template 'gcode_macro S:gcode'\nline 2: G1 X{ (1 } # unexpected '}'"],
  ];
  test.each(cases)("%j", async (cfg, message) => {
    await expect(startPrinter(`${CARTESIAN_CFG}\n${cfg}`)).rejects.toThrow(message);
  });
});

describe("a realistic PRINT_START / END_PRINT pair", () => {
  const MACROS = `
[gcode_macro PRINT_START]
gcode:
  {% set bed = params.BED_TEMP|default(60)|float %}
  {% set hotend = params.EXTRUDER_TEMP|default(200)|float %}
  {% set chamber = params.CHAMBER|default(0)|int %}
  M140 S{bed}
  G90
  SET_GCODE_OFFSET Z=0
  {% if printer.toolhead.homed_axes != "xyz" %}
    G28
  {% endif %}
  G1 Z5 F3000
  M190 S{bed}
  {% if chamber > 0 %}
    TEMPERATURE_WAIT SENSOR="temperature_sensor chamber" MINIMUM={chamber}
  {% endif %}
  M109 S{hotend}
  G1 X{printer.toolhead.axis_minimum.x + 5} Y{printer.toolhead.axis_minimum.y + 5} F6000
  {action_respond_info("Starting print: bed %.0f C, hotend %.0f C" % (bed, hotend))}

[gcode_macro END_PRINT]
gcode:
  {% set max_z = printer.toolhead.axis_maximum.z|float %}
  {% set pos = printer.toolhead.position %}
  {% set z_safe = [pos.z + 10.0, max_z]|min %}
  M400
  G92 E0
  G1 E-5.0 F3600
  G91
  G0 Z1.00 X20.0 Y20.0 F20000
  TURN_OFF_HEATERS
  G90
  G0 Z{z_safe} F3600
  G0 X{printer.toolhead.axis_maximum.x / 2} Y{printer.toolhead.axis_maximum.y - 2} F3600
  M84
`;

  test("PRINT_START renders the expected commands for the printer's state", async () => {
    const rig = await printer(MACROS);
    const macros = lookupGCodeMacro(rig.printer);
    const tpl = macros.loadTemplate(rig.printer.config.getSection("gcode_macro PRINT_START"), "gcode");
    const renderWith = (params: Record<string, string>) => commands(tpl.render({ ...tpl.createTemplateContext(), params, rawparams: "" }));
    expect(renderWith({ BED_TEMP: "100", EXTRUDER_TEMP: "245.5", CHAMBER: "40" })).toEqual([
      "M140 S100",
      "G90",
      "SET_GCODE_OFFSET Z=0",
      "G28",
      "G1 Z5 F3000",
      "M190 S100",
      'TEMPERATURE_WAIT SENSOR="temperature_sensor chamber" MINIMUM=40',
      "M109 S245.5",
      "G1 X5 Y5 F6000",
    ]);
    expect(rig.out.at(-1)).toBe("// Starting print: bed 100 C, hotend 246 C");
    // Once homed, no G28; defaults fill in
    await rig.run("G28");
    const homed = renderWith({});
    expect(homed).not.toContain("G28");
    expect(homed).toContain("M190 S60");
    expect(homed).toContain("M109 S200");
    expect(homed.some((l) => l.startsWith("TEMPERATURE_WAIT"))).toBe(false);
  });

  test("END_PRINT renders from the toolhead position and runs: heaters off, parked, motors off", async () => {
    const rig = await printer(MACROS);
    await rig.run("G28\nG1 X50 Y60 Z12.5 F6000\nM104 S150\nM140 S50");
    const tpl = lookupGCodeMacro(rig.printer).loadTemplate(rig.printer.config.getSection("gcode_macro END_PRINT"), "gcode");
    expect(commands(tpl.render())).toEqual([
      "M400",
      "G92 E0",
      "G1 E-5 F3600",
      "G91",
      "G0 Z1 X20 Y20 F20000",
      "TURN_OFF_HEATERS",
      "G90",
      "G0 Z22.5 F3600",
      "G0 X100 Y198 F3600",
      "M84",
    ]);
    await rig.run("END_PRINT");
    const status = (name: string) => rig.printer.lookupObject<{ getStatus(t: number): Record<string, unknown> }>(name).getStatus(0);
    // The relative move first (Z 13.5), then the park from the status read at render time
    expect(status("toolhead").position).toEqual([100, 198, 22.5, -5]);
    expect(lookupHeaters(rig.printer).lookupHeater("extruder").targetTemp).toBe(0);
    expect(status("heater_bed").target).toBe(0);
    expect(status("toolhead").homed_axes).toBe("");
  });
});
