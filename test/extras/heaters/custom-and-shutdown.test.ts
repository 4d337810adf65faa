// Custom [adc_temperature] sensor types, hardware PWM heaters, and heaters after a shutdown.
import { describe, expect, test } from "bun:test";
import { lookupHeaters } from "../../../src/extras/heaters/heaters.ts";
import { HOTEND_HEATER_OPTIONS } from "../../support/printer-configs.ts";
import { simPrinter } from "../../support/printer-rig.ts";
import { ThermalPlant } from "../../support/thermal-plant.ts";
import { adcSum, analogInState, heaterAdc } from "../../support/adc-report.ts";

describe("custom adc_temperature sensors", () => {
  test("a voltage table and a resistance table become sensor types with the right ADC range", async () => {
    const sim = await simPrinter(`
[adc_temperature my_amp]
temperature1: 0
voltage1: 0.5
temperature2: 300
voltage2: 3.5

[adc_temperature my_rtd]
temperature1: 0
resistance1: 1000
temperature2: 400
resistance2: 2500

[temperature_sensor amp]
sensor_type: my_amp
sensor_pin: PK5
adc_voltage: 5
min_temp: 0
max_temp: 250

[temperature_sensor rtd]
sensor_type: my_rtd
sensor_pin: PK6
pullup_resistor: 1000
min_temp: 0
max_temp: 300
`);
    sim.printer.loadObject("adc_temperature my_amp");
    sim.printer.loadObject("adc_temperature my_rtd");
    sim.printer.loadObject("temperature_sensor amp");
    sim.printer.loadObject("temperature_sensor rtd");
    await sim.mcu.connect();
    const lines = (await sim.outputLines()).filter((l) => l.startsWith("query_analog_in"));
    // Amp: 0 °C = 0.5 V, 250 °C = 0.5 + 250/300·3 V = 3 V, of 5 V, times 8·1023.
    expect(lines[0]).toContain(` min_value=${Math.floor((0.5 / 5) * 8184)} max_value=${Math.ceil((3 / 5) * 8184)} `);
    // RTD: 0 °C = 1000 Ω, 300 °C = 2125 Ω, against a 1000 Ω pullup.
    expect(lines[1]).toContain(` min_value=${Math.floor((1000 / 2000) * 8184)} max_value=${Math.ceil((2125 / 3125) * 8184)} `);
    await sim.close();
  });

  test("an unusable table is a config error naming the section", async () => {
    const sim = await simPrinter(`
[adc_temperature flat]
temperature1: 10
voltage1: 1
temperature2: 20
voltage2: 1

[temperature_sensor x]
sensor_type: flat
sensor_pin: PK5
`);
    sim.printer.loadObject("adc_temperature flat");
    expect(() => sim.printer.loadObject("temperature_sensor x")).toThrow("adc_temperature duplicate value in heater temperature_sensor x");
    await sim.close();
  });
});

describe("heaters and shutdown", () => {
  const CFG = `
[heater_generic hotend]
heater_pin: PB4
sensor_type: EPCOS 100K B57560G104F
sensor_pin: PK5
control: watermark
min_temp: 0
max_temp: 250
pwm_cycle_time: 0.01
`;

  test("M112 (any shutdown) turns every heater off and sends 0 power", async () => {
    const sim = await simPrinter(CFG);
    sim.printer.loadObject("heater_generic hotend");
    await sim.start();
    const heater = lookupHeaters(sim.printer).lookupHeater("hotend");
    sim.attachPlant(heater, 0, new ThermalPlant(25, 280, 60));
    await sim.printer.gcode.runScript("SET_HEATER_TEMPERATURE HEATER=hotend TARGET=200");
    await sim.reactor.advance(3);
    expect(heater.lastPwmValue).toBe(1);
    await sim.printer.gcode.runScript("M112");
    expect(sim.printer.isShutdown()).toBe(true);
    expect(heater.targetTemp).toBe(0);
    expect(heater.lastPwmValue).toBe(0);
    await sim.reactor.advance(10); // further readings do not turn it back on
    const pwm = (await sim.outputLines()).filter((l) => l.startsWith("queue_digital_out oid=1 "));
    expect(pwm.at(-1)).toMatch(/ on_ticks=0$/);
    expect(pwm.filter((l) => !l.endsWith(" on_ticks=0")).length).toBeGreaterThan(0);
    await sim.close();
  });

  test("M109 waits until a PID heater has settled at the target", async () => {
    const sim = await simPrinter(`[extruder]
${HOTEND_HEATER_OPTIONS}`);
    const heater = lookupHeaters(sim.printer).setupHeater(sim.printer.config.getSection("extruder"), "T0");
    await sim.start();
    sim.attachPlant(heater, 0, new ThermalPlant(25, 280, 60, 2));
    let done = false;
    const wait = sim.printer.gcode.runScript("M109 S180").then(() => { done = true; });
    await sim.reactor.advance(30);
    expect(done).toBe(false);
    await sim.reactor.advance(400);
    await wait;
    expect(done).toBe(true);
    expect(Math.abs(heater.smoothedTemp - 180)).toBeLessThanOrEqual(1);
    expect(heater.canExtrude).toBe(true);
    await sim.close();
  });

  test("PID_CALIBRATE on an unknown heater is a G-code error", async () => {
    const sim = await simPrinter(CFG);
    sim.printer.loadObject("heater_generic hotend");
    await sim.start();
    await expect(sim.printer.gcode.runScript("PID_CALIBRATE HEATER=bed TARGET=60")).rejects.toThrow("Unknown heater 'bed'");
    await sim.close();
  });

  test("hardware_pwm fans use config_pwm_out with PWM_MAX", async () => {
    const sim = await simPrinter("[fan]\npin: PH6\nhardware_pwm: true\ncycle_time: 0.001\nshutdown_speed: 0.5\n");
    sim.printer.loadObject("fan");
    await sim.mcu.connect();
    const lines = await sim.outputLines();
    expect(lines).toContain("config_pwm_out oid=0 pin=PH6 cycle_ticks=16000 value=0 default_value=127 max_duration=0");
    // The initial queue_pwm_out is a restart-only line (not sent on a first configuration).
    expect(lines.some((l) => l.startsWith("queue_pwm_out"))).toBe(false);
    await sim.close();
  });
});

describe("MCU ADC range shutdown", () => {
  test("an 'ADC out of range' shutdown names the sensor whose reading is out of range", async () => {
    const sim = await simPrinter(`
[heater_generic hotend]
heater_pin: PB4
sensor_type: EPCOS 100K B57560G104F
sensor_pin: PK5
control: watermark
min_temp: 0
max_temp: 250
`);
    sim.printer.loadObject("heater_generic hotend");
    await sim.start();
    const heater = lookupHeaters(sim.printer).lookupHeater("hotend");
    sim.mcu.receive(analogInState(0, 16_000_000, adcSum(heaterAdc(heater, 262))));
    sim.printer.invokeShutdown("MCU 'mcu' shutdown: ADC out of range");
    expect(sim.out.at(-1)).toMatch(/^\/\/ Sensor 'heater_generic hotend' temperature 26[12]\.\d{3} not in range 0\.000:250\.000$/);
    await sim.close();
  });
});

describe("adc_scaled", () => {
  test("sensor readings are scaled between the vssa and vref readings", async () => {
    const sim = await simPrinter(`
[adc_scaled vref_scaled]
vref_pin: PK0
vssa_pin: PK1
smooth_time: 1

[temperature_sensor board]
sensor_type: Generic 3950
sensor_pin: vref_scaled:PK5
`);
    sim.printer.loadObject("adc_scaled vref_scaled");
    const sensor = sim.printer.loadObject<{ getStatus(): { temperature: number } }>("temperature_sensor board");
    await sim.mcu.connect();
    const send = (oid: number, t: number, frac: number) => sim.mcu.receive(analogInState(oid, Math.trunc((t + 0.3) * 16e6), adcSum(frac)));
    send(0, 5, 0.9); // vref (smoothing reaches the value: 5 s since the start > smooth_time)
    send(1, 5, 0.1); // vssa
    send(2, 5, 0.1 + 0.5 * 0.8); // the sensor at half of the vssa..vref span
    const conv = (await import("../../../src/extras/heaters/thermistor.ts")).Thermistor;
    const th = new conv(4700, 0, (await import("../../../src/extras/heaters/builtin-sensors.ts")).BUILTIN_THERMISTORS["Generic 3950"]!);
    expect(sensor.getStatus().temperature).toBeCloseTo(th.calcTemp(0.5), 0);
    const lines = await sim.outputLines();
    expect(lines.filter((l) => l.startsWith("config_analog_in"))).toEqual([
      "config_analog_in oid=0 pin=PK0", "config_analog_in oid=1 pin=PK1", "config_analog_in oid=2 pin=PK5",
    ]);
    await sim.close();
  });

  test("only ADC pins can be on an adc_scaled chip", async () => {
    const sim = await simPrinter("[adc_scaled s]\nvref_pin: PK0\nvssa_pin: PK1\n\n[fan]\npin: s:PK2\n");
    sim.printer.loadObject("adc_scaled s");
    expect(() => sim.printer.loadObject("fan")).toThrow("adc_scaled only supports adc pins");
    await sim.close();
  });
});
