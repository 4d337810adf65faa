// [input_shaper]: config parsing (tk_input_shaper's printer.cfg), installing the shaping
// wrappers on the toolhead steppers, SET_INPUT_SHAPER updates, reports and errors.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../src/core/config/index.ts";
import { InputShaper, type ShaperParams } from "../../src/extras/resonance/input-shaper.ts";
import { InputShaperKinematics } from "../../src/motion/steps/stepper-kinematics/shaper.ts";
import { loadKinematics } from "../../src/motion/kinematics/index.ts";
import { motionRig } from "../support/printer-rig.ts";
import { KLIPPER_REFERENCE as REF } from "../support/reference.ts";
import { TempDir } from "../support/temp-dir.ts";

const CFG = readFileSync(`${REF}/cases/tk_input_shaper/printer.cfg`, "utf8");
const tmp = new TempDir("stepline-steps-");
afterAll(() => tmp.remove());

function build(cfg = CFG) {
  const rig = motionRig(cfg, join(tmp.path, "shaper.serial"));
  const kin = loadKinematics("cartesian", rig.env);
  let flushes = 0, scans = 0;
  const shaper = new InputShaper(rig.config.getSection("input_shaper"), {
    steppers: () => kin.getSteppers(),
    hasDualCarriage: () => false,
    flushStepGeneration: () => { flushes++; },
    checkStepGenerationScanWindows: () => { scans++; },
  });
  return { rig, kin, shaper, counts: () => ({ flushes, scans }) };
}

function params(p: Record<string, string>): ShaperParams & { hasParameters: boolean } {
  return {
    hasParameters: Object.keys(p).length > 0,
    get: (n, d) => p[n] ?? d,
    getFloat: (n, d) => (p[n] !== undefined ? Number(p[n]) : d),
  };
}

describe("input_shaper", () => {
  test("config values are read per axis and reported like Klipper", () => {
    const { shaper } = build();
    expect(shaper.setInputShaper(params({}), (m) => new Error(m))).toEqual([
      "shaper_type_x:mzv shaper_freq_x:33.200 damping_ratio_x:0.100000",
      "shaper_type_y:ei(v_tol=0.02) shaper_freq_y:39.300 damping_ratio_y:0.400000",
      "shaper_type_z:mzv shaper_freq_z:42.000 damping_ratio_z:0.100000",
    ]);
  });

  test("connect wraps every toolhead stepper and sets scan windows", () => {
    const { kin, shaper, counts } = build();
    shaper.connect();
    const sks = kin.getSteppers().map((s) => s.getStepperKinematics());
    expect(sks.every((sk) => sk instanceof InputShaperKinematics)).toBe(true);
    // mzv at 33.2 Hz spans 0.75 periods (damped): half of it on each side of the move
    const x = sks[0] as InputShaperKinematics;
    expect(x.genStepsPreActive + x.genStepsPostActive).toBeCloseTo(0.75 / (33.2 * Math.sqrt(1 - 0.01)), 9);
    expect(counts()).toEqual({ flushes: 1, scans: 1 });
    shaper.connect(); // a second update reuses the wrappers
    expect(kin.getSteppers()[0]!.getStepperKinematics()).toBe(x);
  });

  test("SET_INPUT_SHAPER updates one axis and validates input", () => {
    const { shaper } = build();
    shaper.connect();
    const out = shaper.setInputShaper(params({ SHAPER_FREQ_X: "22.2", DAMPING_RATIO_X: ".1", SHAPER_TYPE_X: "mzv(5,0.6)" }), (m) => new Error(m));
    expect(out[0]).toBe("shaper_type_x:mzv(5,0.6) shaper_freq_x:22.200 damping_ratio_x:0.100000");
    expect(() => shaper.setInputShaper(params({ SHAPER_TYPE_Y: "foo" }), (m) => new Error(m))).toThrow("Unsupported shaper type: foo");
    expect(() => shaper.setInputShaper(params({ DAMPING_RATIO_Y: "0.5" }), (m) => new Error(m)))
      .toThrow("Too high value of damping_ratio=0.500 for shaper ei(v_tol=0.02) on axis Y");
    expect(() => shaper.setInputShaper(params({ SHAPER_TYPE_X: "mzv(3,1.5)" }), (m) => new Error(m)))
      .toThrow("Failed to initialize shaper: Too large t=1.500000 for n=3");
  });

  test("disabling and re-enabling shaping restores the pulses", () => {
    const { kin, shaper } = build();
    shaper.connect();
    const x = kin.getSteppers()[0]!.getStepperKinematics()!;
    const pre = x.genStepsPreActive;
    shaper.disableShaping();
    expect(x.genStepsPreActive).toBe(0);
    shaper.enableShaping();
    expect(x.genStepsPreActive).toBe(pre);
  });

  test("bad config is refused", () => {
    const bad = CFG.replace("shaper_type_x: mzv", "shaper_type_x: bogus");
    expect(() => build(bad)).toThrow(ConfigError);
    const damp = CFG.replace("damping_ratio_y: 0.4", "damping_ratio_y: 0.5");
    expect(() => build(damp)).toThrow("Option 'damping_ratio_y' in section 'input_shaper' must have maximum of 0.4");
  });
});
