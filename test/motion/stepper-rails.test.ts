// Steppers and rails built from a real printer.cfg on a real batch Mcu: the config commands
// match Klipper's (order, oids, step_pulse_ticks), options are validated with Klipper's
// wording, and a homing-style move through the cartesian kinematics reproduces the
// reference step times of stepper_x.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { PrinterConfig } from "../../src/core/config/index.ts";
import { parseStepDistance } from "../../src/motion/stepper.ts";
import { loadKinematics } from "../../src/motion/kinematics/index.ts";
import type { KinMove } from "../../src/motion/kinematics/index.ts";
import { ATMEGA2560_DICT as dict, motionRig } from "../support/printer-rig.ts";
import { KLIPPER_REFERENCE as REF } from "../support/reference.ts";
import { TempDir } from "../support/temp-dir.ts";
import { decodeLines } from "../support/serial.ts";

const CASE = `${REF}/cases/tk_move_cartesian`;
const tmp = new TempDir("stepline-steps-");
afterAll(() => tmp.remove());
const setup = (cfg: string, name: string) => motionRig(cfg, join(tmp.path, `${name}.serial`));

const CART_CFG = readFileSync(`${CASE}/printer.cfg`, "utf8");

describe("steppers and rails from printer.cfg", () => {
  test("config commands match Klipper's for endstops, trsyncs and steppers", async () => {
    const s = setup(CART_CFG, "cfg");
    const kin = loadKinematics("cartesian", s.env);
    expect(kin.getSteppers().map((st) => st.getName())).toEqual(["stepper_x", "stepper_y", "stepper_z"]);
    await s.mcu.connect();
    await s.mcu.close();
    const ours = decodeLines(dict, s.outputPath).filter((l) => /^config_(stepper|endstop|trsync)/.test(l));
    const ref = readFileSync(`${CASE}/parsedump.txt`, "utf8").split("\n")
      .filter((l) => /^config_(stepper|endstop|trsync)/.test(l)).slice(0, 9);
    expect(ours).toEqual(ref);
  });

  test("status and range checks follow the rails", () => {
    const s = setup(CART_CFG, "limits");
    const kin = loadKinematics("cartesian", s.env);
    expect(kin.getStatus()).toEqual({ homed_axes: "", axis_minimum: [0, 0, 0, 0], axis_maximum: [200, 200, 200, 0] });
    const move = (start: number[], end: number[]): KinMove & { limits: [number, number][] } => {
      const axesD = end.map((e, i) => e - start[i]!);
      const limits: [number, number][] = [];
      return {
        startPos: start, endPos: end, axesD, moveD: Math.hypot(axesD[0]!, axesD[1]!, axesD[2]!), limits,
        limitSpeed: (v, a) => { limits.push([v, a]); },
        moveError: (msg = "Move out of range") => new Error(`${msg}: ${end.map((v) => v.toFixed(3)).join(" ")}`),
      };
    };
    expect(() => kin.checkMove(move([0, 0, 0, 0], [10, 0, 0, 0]))).toThrow("Must home axis first");
    kin.setPosition([0, 0, 0], "xyz");
    expect(kin.getStatus().homed_axes).toBe("xyz");
    kin.checkMove(move([0, 0, 0, 0], [10, 0, 0, 0]));
    expect(() => kin.checkMove(move([0, 0, 0, 0], [201, 0, 0, 0]))).toThrow("Move out of range: 201.000 0.000 0.000");
    const zm = move([0, 0, 0, 0], [3, 0, 4, 0]);
    kin.checkMove(zm);
    expect(zm.limits).toEqual([[25 * 5 / 4, 30 * 5 / 4]]); // max_z_velocity/accel scaled by move_d/|dz|
    kin.clearHomingState("x");
    expect(kin.getStatus().homed_axes).toBe("yz");
  });

  test("bad stepper options are refused with Klipper's wording", () => {
    const bad = (extra: string) => PrinterConfig.fromText(`[stepper_x]\nstep_pin: PF0\ndir_pin: PF1\n${extra}`).getSection("stepper_x");
    expect(() => parseStepDistance(bad("microsteps: 16"), false, true)).toThrow("Option 'rotation_distance' in section 'stepper_x' must be specified");
    expect(() => parseStepDistance(bad("rotation_distance: 40\nmicrosteps: 16\nfull_steps_per_rotation: 201"), false, true)).toThrow("full_steps_per_rotation invalid in section 'stepper_x'");
    expect(() => parseStepDistance(bad("rotation_distance: -1\nmicrosteps: 16"), false, true)).toThrow("must be above 0");
    expect(parseStepDistance(bad("rotation_distance: 40\nmicrosteps: 16\ngear_ratio: 80:16, 3:1"), false, true)).toEqual([40, 200 * 16 * 15]);
    expect(parseStepDistance(bad("microsteps: 16\ngear_ratio: 5:1"), null, true)).toEqual([2 * Math.PI, 200 * 16 * 5]);
    const s = setup(CART_CFG.replace("position_endstop: 0\nposition_max: 200", "position_endstop: 250\nposition_max: 200"), "bad-endstop");
    expect(() => loadKinematics("cartesian", s.env))
      .toThrow("position_endstop in section 'stepper_x' must be between position_min and position_max");
    expect(() => loadKinematics("scara", s.env))
      .toThrow("Error loading kinematics 'scara'");
  });

  test("the X homing move reproduces Klipper's step times", async () => {
    const s = setup(CART_CFG, "home");
    const kin = loadKinematics("cartesian", s.env);
    await s.mcu.connect(); // builds config_stepper and sets up the step compressors
    // G28 X: start from forcepos 1.5 * 200 = 300, move to 0 at homing_speed 5 mm/s, accel 3000;
    // the move starts at print time 0.252 (0.25 s buffer + two 1 ms delays).
    kin.setPosition([300, 0, 0], "");
    const v = 5, a = 3000, ta = v / a, dist = 300 - 2 * 0.5 * a * ta * ta;
    s.trapq.append(0.252, ta, dist / v, ta, 300, 0, 0, -1, 0, 0, 0, v, a);
    for (let t = 0.25; t < 61; t += 0.25) s.mgr.genSteps(t - 0.05, t, 0);
    s.mgr.genSteps(70, 70, 0);
    const steps: number[] = [];
    let last = 0;
    for (const line of s.sent) {
      const m = /^queue_step oid=2 interval=(\d+) count=(\d+) add=(-?\d+)/.exec(line);
      if (!m) continue;
      let iv = Number(m[1]);
      for (let k = 0; k < Number(m[2]); k++) { last += iv; steps.push(last); iv += Number(m[3]); }
    }
    expect(s.sent.filter((l) => l.startsWith("set_next_step_dir oid=2"))).toEqual(["set_next_step_dir oid=2 dir=0"]);
    const ref = gunzipSync(readFileSync(`${CASE}/steps/oid2_stepper_x.csv.gz`)).toString().split("\n").slice(1, 24001).map((l) => Number(l.split(",")[0]));
    expect(steps.length).toBe(24000);
    // Same solver and compressor semantics: the very same step clocks, not just within 25 us
    expect(steps).toEqual(ref);
    await s.mcu.close();
  });
});
