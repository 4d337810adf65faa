// Heaters in a printer on simulated time, closing the loop through a thermal plant: M109 waits for
// the target, verify_heater trips on a heater that cannot heat, PID_CALIBRATE finds usable gains.
import { describe, expect, test } from "bun:test";
import { lookupHeaters } from "../../../src/extras/heaters/heaters.ts";
import { HOTEND_HEATER_OPTIONS } from "../../support/printer-configs.ts";
import { simPrinter } from "../../support/printer-rig.ts";
import { ThermalPlant } from "../../support/thermal-plant.ts";

const CFG = `
[heater_generic hotend]
${HOTEND_HEATER_OPTIONS}gcode_id: T0
`;

async function setup(plant: ThermalPlant) {
  const sim = await simPrinter(CFG);
  sim.printer.loadObject("heater_generic hotend");
  await sim.start();
  const heater = lookupHeaters(sim.printer).lookupHeater("hotend");
  sim.attachPlant(heater, 0, plant);
  return { ...sim, heater };
}

describe("heater closed loop on simulated time", () => {
  test("TEMPERATURE_WAIT returns once the heater reaches the window; M105 reports while waiting", async () => {
    const sim = await setup(new ThermalPlant(25, 280, 60, 2));
    await sim.printer.gcode.runScript("SET_HEATER_TEMPERATURE HEATER=hotend TARGET=200");
    let done = false;
    const wait = sim.printer.gcode.runScript(`TEMPERATURE_WAIT SENSOR="heater_generic hotend" MINIMUM=195`).then(() => { done = true; });
    await sim.reactor.advance(20);
    expect(done).toBe(false);
    expect(sim.out.some((l) => /^T0:\d+\.\d \/200\.0$/.test(l))).toBe(true);
    await sim.reactor.advance(300);
    await wait;
    expect(done).toBe(true);
    expect(sim.heater.getTemp(sim.reactor.now)[0]).toBeGreaterThan(195);
    expect(sim.printer.isShutdown()).toBe(false);
    await sim.close();
  });

  test("verify_heater shuts the printer down when the heater cannot heat", async () => {
    const sim = await setup(new ThermalPlant(25, 0, 60)); // no gain: heating does nothing
    await sim.reactor.advance(5);
    await sim.printer.gcode.runScript("SET_HEATER_TEMPERATURE HEATER=hotend TARGET=200");
    // Checks run every second: the one at 6 s sees the new target and expects +2 °C by 26 s; at 26 s
    // the approach has failed, and at 27 s the accumulated error (far over max_error) trips.
    await sim.reactor.advance(26.5);
    expect(sim.printer.isShutdown()).toBe(false);
    await sim.reactor.advance(27.5);
    expect(sim.printer.isShutdown()).toBe(true);
    expect(sim.printer.getStateMessage()[0]).toBe(
      "Heater hotend not heating at expected rate\nSee the 'verify_heater' section in docs/Config_Reference.md\nfor the parameters that control this check.\n",
    );
    // Everything is off afterwards.
    expect(sim.heater.targetTemp).toBe(0);
    expect(sim.heater.lastPwmValue).toBe(0);
    await sim.close();
  });

  test("PID_CALIBRATE completes on the plant and stores gains for SAVE_CONFIG", async () => {
    const sim = await setup(new ThermalPlant(25, 280, 60, 3));
    const run = sim.printer.gcode.runScript("PID_CALIBRATE HEATER=hotend TARGET=180");
    await sim.reactor.advance(900);
    await run;
    const info = sim.out.find((l) => l.includes("PID parameters"));
    expect(info).toMatch(/pid_Kp=\d+\.\d{3} pid_Ki=\d+\.\d{3} pid_Kd=\d+\.\d{3}/);
    const items = sim.printer.config.autosave.pendingItems["heater_generic hotend"]!;
    expect(items.control).toBe("pid");
    expect(Number(items.pid_Kp)).toBeGreaterThan(0);
    expect(sim.heater.targetTemp).toBe(0);
    await sim.close();
  });
});
