import { describe, expect, test } from "bun:test";
import { defaultCheckGainTime, HEATER_CHECK_DEFAULTS, HeaterCheck, heaterFaultMessage } from "../../../src/extras/heaters/heater-check.ts";

const params = { ...HEATER_CHECK_DEFAULTS, checkGainTime: defaultCheckGainTime("extruder") };

/** Runs the once-a-second check until it faults; returns the fault time or null. */
function runChecks(check: HeaterCheck, seconds: number, temp: (t: number) => number, target: (t: number) => number): number | null {
  for (let t = 0; t <= seconds; t++) if (!check.check(t, temp(t), target(t))) return t;
  return null;
}

describe("verify_heater", () => {
  test("Klipper's defaults: hysteresis 5, max_error 120, heating_gain 2, check_gain_time 20 (60 for the bed)", () => {
    expect(HEATER_CHECK_DEFAULTS).toEqual({ hysteresis: 5, maxError: 120, heatingGain: 2 });
    expect(defaultCheckGainTime("extruder")).toBe(20);
    expect(defaultCheckGainTime("heater_bed")).toBe(60);
  });

  test("a heater that cannot heat faults once check_gain_time has passed", () => {
    const at = runChecks(new HeaterCheck(params), 100, () => 25, (t) => (t >= 3 ? 200 : 0));
    // Set at 3 s; must gain 2 °C by 23 s; then 170 °C·s of error per check exceeds 120 at once.
    expect(at).toBe(24);
    expect(heaterFaultMessage("extruder")).toBe(
      "Heater extruder not heating at expected rate\nSee the 'verify_heater' section in docs/Config_Reference.md\nfor the parameters that control this check.\n",
    );
  });

  test("a heater that heats steadily and then holds its target never faults", () => {
    const temp = (t: number) => Math.min(210, 25 + 3 * t);
    expect(runChecks(new HeaterCheck(params), 600, temp, () => 210)).toBeNull();
  });

  test("a heater that loses its target while holding faults after max_error degree-seconds", () => {
    // At 200 °C until 100 s, then stuck 20 °C low: 15 °C·s of error per second → 120 after 8 s.
    const temp = (t: number) => (t < 100 ? 200 : 180);
    expect(runChecks(new HeaterCheck(params), 300, temp, () => 200)).toBe(107);
  });

  test("small dips within hysteresis are not errors", () => {
    const temp = (t: number) => 200 - 4 * Math.abs(Math.sin(t));
    expect(runChecks(new HeaterCheck(params), 600, temp, () => 200)).toBeNull();
  });
});
