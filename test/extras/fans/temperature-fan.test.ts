// [temperature_fan]: the fan runs when its sensor is above target (watermark), scales with the error
// (PID), and SET_TEMPERATURE_FAN_TARGET validates its parameters.
import { describe, expect, test } from "bun:test";
import "../../../src/motion/modules.ts";
import { BUILTIN_THERMISTORS } from "../../../src/extras/heaters/builtin-sensors.ts";
import { Thermistor } from "../../../src/extras/heaters/thermistor.ts";
import type { TemperatureFan } from "../../../src/extras/fans/temperature-fan.ts";
import { simPrinter } from "../../support/printer-rig.ts";
import { adcSum, analogInState } from "../../support/adc-report.ts";

const conv = new Thermistor(4700, 0, BUILTIN_THERMISTORS["Generic 3950"]!);

async function setup(control: string) {
  const sim = await simPrinter(`
[printer]
kinematics: none
max_velocity: 100
max_accel: 100

[temperature_fan enclosure]
pin: PH6
sensor_type: Generic 3950
sensor_pin: PK5
min_temp: 0
max_temp: 70
target_temp: 40
kick_start_time: 0
${control}
`);
  sim.printer.loadObject("motion_queuing");
  const tf = sim.printer.loadObject<TemperatureFan>("temperature_fan enclosure");
  sim.printer.loadObject("printer");
  await sim.start();
  /** One sensor report of `temp` at the current simulated time, then advance 0.3 s. */
  const reading = async (temp: number) => {
    // The fan's PWM pin is set up first (oid 0), the sensor's ADC second (oid 1), as in Klipper.
    sim.mcu.receive(analogInState(1, Math.trunc((sim.reactor.now + 0.3) * 16e6), adcSum(conv.calcAdc(temp))));
    await sim.reactor.advance(sim.reactor.now + 0.3);
  };
  return { ...sim, tf, reading };
}

describe("temperature_fan", () => {
  test("watermark: full speed above target + max_delta, off below target − max_delta", async () => {
    const sim = await setup("control: watermark\nmax_speed: 0.8");
    await sim.reading(50);
    expect(sim.tf.getStatus().speed).toBe(0.8);
    expect(sim.tf.getStatus().temperature).toBeCloseTo(50, 0);
    await sim.reading(39);
    expect(sim.tf.getStatus().speed).toBe(0.8); // within the band: keeps cooling
    await sim.reading(37);
    expect(sim.tf.getStatus().speed).toBe(0);
    await sim.close();
  });

  test("PID: full speed above target, less fan the further below it, never below min_speed", async () => {
    const sim = await setup("control: pid\npid_Kp: 40\npid_Ki: 0\npid_Kd: 0\nmin_speed: 0.2");
    for (let i = 0; i < 10; i++) await sim.reading(45);
    expect(sim.tf.getStatus().speed).toBe(1);
    for (let i = 0; i < 10; i++) await sim.reading(39.5);
    // Proportional only: speed = max_speed − Kp/255 · (target − temp)
    expect(sim.tf.getStatus().speed).toBeCloseTo(1 - (40 / 255) * 0.5, 1);
    for (let i = 0; i < 10; i++) await sim.reading(37);
    expect(sim.tf.getStatus().speed).toBeCloseTo(1 - (40 / 255) * 3, 1);
    for (let i = 0; i < 10; i++) await sim.reading(30);
    expect(sim.tf.getStatus().speed).toBe(0.2);
    await sim.close();
  });

  test("SET_TEMPERATURE_FAN_TARGET sets target and speed limits, with Klipper's errors", async () => {
    const sim = await setup("control: watermark");
    await sim.printer.gcode.runScript("SET_TEMPERATURE_FAN_TARGET TEMPERATURE_FAN=enclosure TARGET=35 MIN_SPEED=0.1 MAX_SPEED=0.9");
    expect([sim.tf.targetTemp, sim.tf.minSpeed, sim.tf.maxSpeed]).toEqual([35, 0.1, 0.9]);
    await expect(sim.printer.gcode.runScript("SET_TEMPERATURE_FAN_TARGET TEMPERATURE_FAN=enclosure TARGET=90"))
      .rejects.toThrow("Requested temperature (90.0) out of range (0.0:70.0)");
    await expect(sim.printer.gcode.runScript("SET_TEMPERATURE_FAN_TARGET TEMPERATURE_FAN=enclosure MIN_SPEED=0.9 MAX_SPEED=0.5"))
      .rejects.toThrow("Requested min speed (0.9) is greater than max speed (0.5)");
    // Like Klipper, a command without TARGET restores target_temp from the config.
    expect(sim.tf.getStatus().target).toBe(40);
    await sim.close();
  });
});
