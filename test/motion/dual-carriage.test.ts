// [dual_carriage] on a cartesian printer: carriage switching, COPY/MIRROR ranges, saved state.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadKinematics, type KinematicsHost } from "../../src/motion/kinematics/index.ts";
import type { CartesianKinematics } from "../../src/motion/kinematics/cartesian.ts";
import type { DualCarriages } from "../../src/motion/kinematics/idex-modes.ts";
import { motionRig } from "../support/printer-rig.ts";
import { KLIPPER_REFERENCE as REF } from "../support/reference.ts";
import { TempDir } from "../support/temp-dir.ts";

const CFG = readFileSync(`${REF}/cases/tk_move_cartesian/printer.cfg`, "utf8") + `
[dual_carriage]
axis: x
step_pin: PC1
dir_pin: PC3
microsteps: 16
rotation_distance: 40
endstop_pin: ^PE4
position_endstop: 200
position_max: 200
safe_distance: 30
`;
const tmp = new TempDir("stepline-steps-");
afterAll(() => tmp.remove());

function build() {
  const rig = motionRig(CFG, join(tmp.path, "dc.serial"));
  const objects = new Map<string, unknown>();
  const host: KinematicsHost = {
    gcode: { register: () => {} },
    addObject: (n, o) => { objects.set(n, o); },
    registerEventHandler: () => {},
    sendEvent: () => [],
    lookupObject: <T>(n: string) => objects.get(n) as T,
  };
  const kin = loadKinematics("cartesian", { ...rig.env, host }) as CartesianKinematics;
  let pos = [0, 0, 0, 0];
  const toolhead = {
    flushStepGeneration: () => {},
    getPosition: () => [...pos],
    setPosition: (p: readonly number[], axes = "") => { pos = [...p]; kin.setPosition(p, axes); },
    manualMove: () => {},
    getKinematics: () => kin,
  };
  objects.set("toolhead", toolhead);
  return { kin, toolhead, dc: objects.get("dual_carriage") as DualCarriages };
}

describe("dual_carriage", () => {
  test("the second carriage takes over x where it is parked", () => {
    const { kin, toolhead, dc } = build();
    toolhead.setPosition([50, 10, 5, 0], "xyz");
    expect(dc.getStatus()).toMatchObject({ carriage_0: "PRIMARY", carriage_1: "INACTIVE" });
    const [x, , , dcStepper] = kin.getSteppers();
    dc.activateDcMode(dc.dcRails.get("dual_carriage")!, "PRIMARY");
    expect(dc.getStatus()).toMatchObject({ carriage_0: "INACTIVE", carriage_1: "PRIMARY" });
    // the dual carriage was parked at 0 (never moved), so the toolhead is now at x=0
    expect(toolhead.getPosition()[0]).toBe(0);
    expect(x!.calcPositionFromCoord([123, 0, 0])).toBe(50);
    expect(dcStepper!.calcPositionFromCoord([123, 0, 0])).toBe(123);
    const spos = Object.fromEntries(kin.getSteppers().map((s) => [s.getName(), s.getCommandedPosition()]));
    expect(kin.calcPosition(spos)).toEqual([0, 10, 5]);
    expect(kin.getStatus().axis_maximum).toEqual([200, 200, 200, 0]);
  });

  test("COPY and MIRROR limit the range so both carriages stay on their rails and apart", () => {
    const { toolhead, dc } = build();
    toolhead.setPosition([20, 10, 5, 0], "xyz");
    const second = dc.dcRails.get("dual_carriage")!;
    // park the second carriage at 150 first
    dc.activateDcMode(second, "PRIMARY");
    toolhead.setPosition([150, 10, 5, 0]);
    dc.activateDcMode(dc.dcRails.get("x")!, "PRIMARY");
    expect(toolhead.getPosition()[0]).toBe(20);
    dc.activateDcMode(second, "COPY");
    // second follows at +130: x <= 200 - 130; first needs x >= 0
    expect(dc.getKinRange(0)).toEqual([0, 70]);
    dc.activateDcMode(second, "MIRROR");
    // second at 150 - (x - 20); carriages must stay 30 apart: x + 30 <= 170 - x
    const [lo, hi] = dc.getKinRange(0);
    expect(lo).toBe(0);
    expect(hi).toBeCloseTo(70, 12);
  });

  test("saved state restores modes without moving", () => {
    const { toolhead, dc } = build();
    toolhead.setPosition([20, 10, 5, 0], "xyz");
    const state = dc.saveDualCarriageState();
    dc.activateDcMode(dc.dcRails.get("dual_carriage")!, "PRIMARY");
    dc.restoreDualCarriageState(state, 0);
    expect(dc.getStatus()).toMatchObject({ carriage_0: "PRIMARY", carriage_1: "INACTIVE" });
    expect(toolhead.getPosition()[0]).toBe(20);
  });
});
