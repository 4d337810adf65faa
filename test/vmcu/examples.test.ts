import { describe, expect, test } from "bun:test";
import type { HardwareConfig } from "../../firmware-bridge/index.ts";
import { VIRTUAL_PRINTER_CFG, VIRTUAL_PRINTER_HARDWARE, VirtualMcu } from "../../firmware-bridge/index.ts";
import { ThermalBody } from "../../firmware-bridge/sim/thermal.ts";
import { ControlPid } from "../../src/extras/heaters/control.ts";
import { defaultCheckGainTime, HEATER_CHECK_DEFAULTS, HeaterCheck } from "../../src/extras/heaters/heater-check.ts";

const dir = new URL("../../firmware-bridge/examples/", import.meta.url).pathname;
const hardware = JSON.parse(await Bun.file(dir + "virtual-printer.json").text()) as HardwareConfig;
const cfgText = await Bun.file(dir + "virtual-printer.cfg").text();

/** The [section] key: value pairs of a printer.cfg (enough for this example file). */
function sections(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let cur: Map<string, string> | null = null;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    const head = /^\[(.+)\]$/.exec(line);
    if (head) out.set(head[1]!, (cur = new Map()));
    else if (line && cur) {
      const [k, ...v] = line.split(":");
      cur.set(k!.trim(), v.join(":").trim());
    }
  }
  return out;
}

const pinName = (p: string) => p.replace(/^[\^~!]+/, "");

describe("example virtual printer", () => {
  const cfg = sections(cfgText);

  test("the hardware file loads, and the embedded copies are these files", () => {
    expect(() => new VirtualMcu({ hardware })).not.toThrow();
    expect(VIRTUAL_PRINTER_HARDWARE).toEqual(hardware);
    expect(VIRTUAL_PRINTER_CFG).toBe(cfgText);
  });

  test("every endstop of the config is wired to the axis of its stepper, closing at position_endstop", () => {
    for (const axis of ["stepper_x", "stepper_y", "stepper_z"]) {
      const s = cfg.get(axis)!;
      const stepsPerMm = (200 * Number(s.get("microsteps"))) / Number(s.get("rotation_distance"));
      const e = hardware.endstops!.find((x) => x.pin === pinName(s.get("endstop_pin")!));
      expect(e?.stepPin).toBe(s.get("step_pin")!);
      expect(e!.triggerAt).toBe(Number(s.get("position_endstop")) * stepsPerMm);
      expect(e!.triggeredLevel ?? 1).toBe(s.get("endstop_pin")!.includes("!") ? 0 : 1);
      const a = hardware.axes!.find((x) => x.stepPin === s.get("step_pin"));
      const startMm = a!.initialPosition! / stepsPerMm;
      expect(startMm).toBeGreaterThan(Number(s.get("position_endstop")));
      expect(startMm).toBeLessThan(Number(s.get("position_max")));
    }
  });

  test("every heater of the config has a simulated body with a thermistor on its sensor pin", () => {
    for (const name of ["extruder", "heater_bed"]) {
      const s = cfg.get(name)!;
      const h = hardware.heaters!.find((x) => x.heaterPin === pinName(s.get("heater_pin")!));
      expect(h?.thermistorPin).toBe(s.get("sensor_pin")!);
      expect(s.get("sensor_type")).toBe("Generic 3950"); // beta 3950, 100 kΩ: the simulated thermistor
      expect(25 + h!.maxRise!).toBeGreaterThan(Number(s.get("max_temp")));
    }
  });
});

/**
 * The example config's PID gains against the example hardware's thermal body, closed through
 * Stepline's Klipper PID (control.ts) and verify_heater (heater-check.ts) with Klipper's defaults:
 * readings every 0.3 s, 1 s smoothing, checks every second, full power 1. Returns when the M109/M190
 * wait would end (smoothed within 1 °C and settled), or why it never does.
 */
function heatUp(heaterName: string, target: number, limit: number): { settledAt: number | null; fault: number | null } {
  const s = sections(cfgText).get(heaterName)!;
  const h = hardware.heaters!.find((x) => x.heaterPin === pinName(s.get("heater_pin")!))!;
  const body = new ThermalBody({ ambient: h.ambient ?? 25, maxRise: h.maxRise!, timeConstant: h.timeConstant! });
  let pwm = 0;
  const out = { setPwm: (_t: number, v: number) => void (pwm = v), alterTarget: () => {}, maxPower: 1, pwmDelay: 0 };
  const gains = { kp: Number(s.get("pid_Kp")), ki: Number(s.get("pid_Ki")), kd: Number(s.get("pid_Kd")) };
  const pid = new ControlPid(out, gains, 1);
  const check = new HeaterCheck({ ...HEATER_CHECK_DEFAULTS, checkGainTime: defaultCheckGainTime(heaterName) });
  let smoothed = h.ambient ?? 25;
  for (let i = 1; i * 0.3 <= limit; i++) {
    const t = i * 0.3;
    body.setDuty(pwm, t - 0.3);
    const temp = body.temperatureAt(t);
    smoothed += (temp - smoothed) * Math.min(1, 0.3);
    pid.temperatureUpdate(t, temp, target);
    if (Math.floor(t) !== Math.floor(t - 0.3) && !check.check(t, temp, target)) return { settledAt: null, fault: t };
    if (!pid.checkBusy(t, smoothed, target)) return { settledAt: t, fault: null };
  }
  return { settledAt: null, fault: null };
}

describe("example virtual printer heats with its own PID gains (real klippy's algorithm)", () => {
  test("M109 S200 settles within ~2.5 min without a verify_heater fault", () => {
    const r = heatUp("extruder", 200, 600);
    expect(r.fault).toBeNull();
    expect(r.settledAt).not.toBeNull();
    expect(r.settledAt!).toBeLessThan(150);
  });
  test("M190 S60 settles within 4 min without a verify_heater fault", () => {
    const r = heatUp("heater_bed", 60, 1200);
    expect(r.fault).toBeNull();
    expect(r.settledAt).not.toBeNull();
    expect(r.settledAt!).toBeLessThan(240);
  });
});
