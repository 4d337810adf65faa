// Every kinematics built from Klipper's example config: the stepper positions for a point
// map back to that point (inverse then forward kinematics), and status reports the limits.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadKinematics, type KinematicsHost } from "../../src/motion/kinematics/index.ts";
import { motionRig } from "../support/printer-rig.ts";
import { KLIPPER_REFERENCE as REF } from "../support/reference.ts";
import { TempDir } from "../support/temp-dir.ts";

const tmp = new TempDir("stepline-steps-");
afterAll(() => tmp.remove());

const host: KinematicsHost = {
  gcode: { register: () => {} }, addObject: () => {}, registerEventHandler: () => {},
  sendEvent: () => [], lookupObject: <T>() => undefined as T,
};

const CASES: [string, string, number[][]][] = [
  ["cartesian", "example-cartesian.cfg", [[10, 20, 5], [150.25, 3.5, 100]]],
  ["corexy", "example-corexy.cfg", [[10, 20, 5], [150.25, 3.5, 100]]],
  ["corexz", "example-corexz.cfg", [[10, 20, 5], [150.25, 3.5, 100]]],
  ["hybrid_corexy", "example-hybrid-corexy.cfg", [[10, 20, 5], [150.25, 3.5, 100]]],
  ["hybrid_corexz", "example-hybrid-corexz.cfg", [[10, 20, 5], [150.25, 3.5, 100]]],
  ["delta", "example-delta.cfg", [[0, 0, 10], [30, -40, 100]]],
  ["deltesian", "example-deltesian.cfg", [[0, 10, 10], [-30, 40, 50]]],
  ["polar", "example-polar.cfg", [[10, 20, 5], [-30, -40, 50]]],
  ["rotary_delta", "example-rotary-delta.cfg", [[0, 0, 10], [20, -30, 60]]],
];

describe("kinematics round trip on Klipper's example configs", () => {
  for (const [name, file, points] of CASES) {
    test(name, () => {
      const rig = motionRig(readFileSync(`${REF}/configs/${file}`, "utf8"), join(tmp.path, `${name}.serial`));
      expect(rig.config.getSection("printer").get("kinematics")).toBe(name);
      const kin = loadKinematics(name, { ...rig.env, host });
      expect(kin.getSteppers().length).toBeGreaterThanOrEqual(3);
      for (const p of points) {
        kin.setPosition(p, "xyz");
        const spos = Object.fromEntries(kin.getSteppers().map((s) => [s.getName(), s.getCommandedPosition()]));
        const back = kin.calcPosition(spos);
        for (let i = 0; i < 3; i++) expect(back[i]!).toBeCloseTo(p[i]!, 6);
      }
      const st = kin.getStatus();
      expect((st.axis_minimum as number[]).length).toBe(4);
      expect((st.axis_maximum as number[])[2]).toBeGreaterThan((st.axis_minimum as number[])[2]!);
    });
  }
});

test("winch cable lengths are the distances to the anchors", () => {
  const rig = motionRig(readFileSync(`${REF}/configs/example-winch.cfg`, "utf8"), join(tmp.path, "winch.serial"));
  const kin = loadKinematics("winch", { ...rig.env, host });
  const anchors = ["a", "b", "c", "d"].map((n) => ["x", "y", "z"].map((k) => rig.config.getSection(`stepper_${n}`).getFloat(`anchor_${k}`)));
  const p = [20, -30, 60];
  kin.setPosition(p, "");
  kin.getSteppers().forEach((s, i) => {
    expect(s.getCommandedPosition()).toBeCloseTo(Math.hypot(...anchors[i]!.map((a, k) => a - p[k]!)), 9);
  });
  expect(kin.getStatus().homed_axes).toBe("xyz"); // winch has no homing, as in Klipper
});
