// [fan], [fan_generic], [heater_fan] and [output_pin] in a printer with the real toolhead and motion
// queue (kinematics: none) on simulated time: G-code sets speeds after queued moves, the motion flush
// sends them, parameter errors are clear.
import { describe, expect, test } from "bun:test";
import "../../../src/motion/modules.ts";
import { lookupHeaters } from "../../../src/extras/heaters/heaters.ts";
import type { PrinterMotionQueuing } from "../../../src/motion/motion-queuing.ts";
import { simPrinter } from "../../support/printer-rig.ts";

const CFG = `
[printer]
kinematics: none
max_velocity: 100
max_accel: 1000

[fan]
pin: PH6
kick_start_time: 0

[fan_generic exhaust]
pin: PH4
max_power: 0.5
kick_start_time: 0

[heater_generic chamber]
heater_pin: PB4
sensor_type: EPCOS 100K B57560G104F
sensor_pin: PK5
control: watermark
min_temp: 0
max_temp: 80

[heater_fan chamber_fan]
pin: PH3
heater: chamber
kick_start_time: 0

[output_pin led]
pin: PA1
pwm: true
scale: 10
cycle_time: 0.01

[output_pin relay]
pin: !PA2
value: 1
shutdown_value: 0
`;

async function setup() {
  const sim = await simPrinter(CFG);
  const { printer } = sim;
  printer.loadObject("motion_queuing");
  for (const s of ["fan", "fan_generic exhaust", "heater_generic chamber", "heater_fan chamber_fan", "output_pin led", "output_pin relay"]) printer.loadObject(s);
  printer.loadObject("printer");
  await sim.start();
  const mq = printer.lookupObject<PrinterMotionQueuing>("motion_queuing");
  const flush = () => { while (mq.handleFlushTimer()); };
  const lines = async () => {
    flush();
    return sim.outputLines();
  };
  return { ...sim, flush, lines };
}

/** oid of the config line for a pin. */
const oidOf = (lines: string[], pin: string) => Number(/oid=(\d+)/.exec(lines.find((l) => l.includes(` pin=${pin} `))!)![1]);
const runtime = (lines: string[], oid: number) =>
  lines.filter((l) => l.startsWith(`queue_digital_out oid=${oid} `) && !l.includes(" clock=3200000 ")).map((l) => l.replace(/ clock=\d+/, ""));

describe("fan and output pin modules", () => {
  test("M106/M107 set the part fan after the queued moves; S is 0..255", async () => {
    const sim = await setup();
    // Requests due at the same print time override each other, so dwell in between.
    await sim.printer.gcode.runScript("M106 S127.5\nG4 P200\nM107\nG4 P200\nM106\nM106 S51");
    const lines = await sim.lines();
    // 10 ms cycle at 16 MHz = 160000 ticks
    expect(runtime(lines, oidOf(lines, "PH6"))).toEqual([
      "queue_digital_out oid=" + oidOf(lines, "PH6") + " on_ticks=80000",
      "queue_digital_out oid=" + oidOf(lines, "PH6") + " on_ticks=0",
      "queue_digital_out oid=" + oidOf(lines, "PH6") + " on_ticks=32000",
    ]);
    const fan = sim.printer.lookupObject<{ getStatus(): { speed: number } }>("fan");
    expect(fan.getStatus().speed).toBe(0.2);
    await expect(sim.printer.gcode.runScript("M106 S-1")).rejects.toThrow("Error on 'M106 S-1': S must have minimum of 0");
    await sim.close();
  });

  test("SET_FAN_SPEED scales by max_power and needs SPEED", async () => {
    const sim = await setup();
    await sim.printer.gcode.runScript("SET_FAN_SPEED FAN=exhaust SPEED=0.5");
    await expect(sim.printer.gcode.runScript("SET_FAN_SPEED FAN=exhaust")).rejects.toThrow("SET_FAN_SPEED must specify SPEED or TEMPLATE");
    await expect(sim.printer.gcode.runScript("SET_FAN_SPEED FAN=nope SPEED=1")).rejects.toThrow("The value 'nope' is not valid for FAN");
    const status = sim.printer.lookupObject<{ getStatus(): { speed: number } }>("fan_generic exhaust");
    const lines = await sim.lines();
    expect(runtime(lines, oidOf(lines, "PH4")).map((l) => l.split(" on_ticks=")[1])).toEqual(["40000"]);
    expect(status.getStatus().speed).toBe(0.25);
    await sim.close();
  });

  test("SET_PIN: PWM value through scale, digital values must be 0 or 1, shutdown value in the config", async () => {
    const sim = await setup();
    await sim.printer.gcode.runScript("SET_PIN PIN=led VALUE=2.5\nSET_PIN PIN=relay VALUE=0");
    await expect(sim.printer.gcode.runScript("SET_PIN PIN=relay VALUE=0.5")).rejects.toThrow("Invalid pin value");
    await expect(sim.printer.gcode.runScript("SET_PIN PIN=led VALUE=11")).rejects.toThrow("VALUE must have maximum of 10");
    await expect(sim.printer.gcode.runScript("SET_PIN PIN=led")).rejects.toThrow("SET_PIN command must specify VALUE or TEMPLATE");
    const led = sim.printer.lookupObject<{ getStatus(): { value: number } }>("output_pin led");
    const lines = await sim.lines();
    const relay = oidOf(lines, "PA2");
    // Inverted relay: value 1 is pin low at start, shutdown 0 is pin high.
    expect(lines).toContain(`config_digital_out oid=${relay} pin=PA2 value=0 default_value=1 max_duration=0`);
    expect(runtime(lines, oidOf(lines, "PA1")).map((l) => l.split(" on_ticks=")[1])).toEqual(["40000"]);
    expect(runtime(lines, relay).map((l) => l.split(" on_ticks=")[1])).toEqual(["1"]);
    expect(led.getStatus()).toEqual({ value: 0.25 });
    await sim.close();
  });

  test("a heater_fan runs while its heater has a target, and full speed is its shutdown default", async () => {
    const sim = await setup();
    const fan = sim.printer.lookupObject<{ getStatus(): { speed: number } }>("heater_fan chamber_fan");
    await sim.reactor.advance(2);
    expect(fan.getStatus().speed).toBe(0);
    await sim.printer.gcode.runScript("SET_HEATER_TEMPERATURE HEATER=chamber TARGET=40");
    await sim.reactor.advance(4);
    expect(fan.getStatus().speed).toBe(1);
    lookupHeaters(sim.printer).turnOffAllHeaters();
    await sim.reactor.advance(6);
    expect(fan.getStatus().speed).toBe(0);
    const lines = await sim.lines();
    expect(lines).toContain(`config_digital_out oid=${oidOf(lines, "PH3")} pin=PH3 value=0 default_value=1 max_duration=0`);
    await sim.close();
  });
});
