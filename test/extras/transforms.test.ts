// Move transforms and levelling in batch output: bed_tilt changes Z by the plane, skew_correction
// removes a measured XY skew, z_tilt runs its probe/adjust cycle.
import { describe, expect, test } from "bun:test";
import { skewFactor } from "../../src/extras/leveling/skew-correction.ts";
import { netSteps, runGcode } from "../support/printer-rig.ts";
import { CARTESIAN_MOTION_CFG } from "../support/printer-configs.ts";

// stepper_z: rotation_distance 8, 200 full steps, 16 microsteps -> 0.0025 mm per step
const Z_STEP = 8 / 3200;
// stepper_x: 40 mm per rotation -> 0.0125 mm per step
const X_STEP = 40 / 3200;

describe("bed_tilt", () => {
  test("a move at X=100 lifts Z by x_adjust*100", async () => {
    const gcode = "G28\nG1 X100 Z5 F3000\n";
    const flat = await runGcode(CARTESIAN_MOTION_CFG, gcode);
    const tilted = await runGcode(`${CARTESIAN_MOTION_CFG}\n[bed_tilt]\nx_adjust: 0.01\n`, gcode);
    expect(flat.result.error).toBeNull();
    expect(tilted.result.error).toBeNull();
    const dz = netSteps(tilted.stepsByPin.get("PL3")!) - netSteps(flat.stepsByPin.get("PL3")!);
    // 0.01 * 100 mm = 1 mm of extra Z
    expect(dz).toBe(Math.round(1 / Z_STEP));
  });
});

describe("skew_correction", () => {
  test("the skew factor of a parallelogram with a 89 degree corner is tan(1 degree)", () => {
    // Sides 100 mm, corner angle phi: diagonals^2 = 2*100^2 +- 2*100^2*cos(phi) (law of cosines)
    const phi = (89 * Math.PI) / 180;
    const ac = Math.sqrt(20000 + 20000 * Math.cos(phi));
    const bd = Math.sqrt(20000 - 20000 * Math.cos(phi));
    expect(Math.abs(skewFactor(ac, bd, 100))).toBeCloseTo(Math.tan(Math.PI / 180), 9);
  });

  test("a Y move is corrected in X by -y * xy_factor", async () => {
    const phi = (89 * Math.PI) / 180;
    const ac = Math.sqrt(20000 + 20000 * Math.cos(phi));
    const bd = Math.sqrt(20000 - 20000 * Math.cos(phi));
    const f = skewFactor(ac, bd, 100);
    const r = await runGcode(`${CARTESIAN_MOTION_CFG}\n[skew_correction]\n`, `G28\nSET_SKEW XY=${ac},${bd},100\nG1 X50 Y100 F3000\nGET_CURRENT_SKEW\n`);
    const flat = await runGcode(CARTESIAN_MOTION_CFG, "G28\nG1 X50 Y100 F3000\n");
    expect(r.result.error).toBeNull();
    // X target = 50 - 100 * f instead of 50 (same homing moves in both runs)
    const dx = netSteps(r.stepsByPin.get("PF0")!) - netSteps(flat.stepsByPin.get("PF0")!);
    expect(dx).toBe(Math.round((-100 * f) / X_STEP));
    expect(r.responses.some((l) => l.includes(`XY Skew: ${f.toFixed(6)} radians`))).toBe(true);
  });
});

describe("firmware_retraction", () => {
  test("SET_RETRACTION / GET_RETRACTION", async () => {
    const r = await runGcode(`${CARTESIAN_MOTION_CFG}\n[firmware_retraction]\nretract_length: 0.8\n`, "SET_RETRACTION RETRACT_SPEED=35 UNRETRACT_EXTRA_LENGTH=0.1\nGET_RETRACTION\n");
    expect(r.result.error).toBeNull();
    expect(r.responses).toContain("// RETRACT_LENGTH=0.80000 RETRACT_SPEED=35.00000 UNRETRACT_EXTRA_LENGTH=0.10000 UNRETRACT_SPEED=10.00000");
  });
});

describe("z_tilt", () => {
  const cfg = CARTESIAN_MOTION_CFG.replace("endstop_pin: ^PD3\nposition_endstop: 0.5", "endstop_pin: probe:z_virtual_endstop\nposition_min: -2") + `
[stepper_z1]
step_pin: PC1
dir_pin: PC3
enable_pin: !PC7
microsteps: 16
rotation_distance: 8
[probe]
pin: ^PD2
z_offset: 1
[safe_z_home]
home_xy_position: 100,100
[z_tilt]
z_positions: -50,100
  250,100
points: 20,100
  180,100
retries: 2
retry_tolerance: 0.01
`;
  test("Z_TILT_ADJUST probes, adjusts each Z stepper and reports applied", async () => {
    const r = await runGcode(cfg, "G28\nZ_TILT_ADJUST\n");
    expect(r.result.error).toBeNull();
    // Batch probing always triggers at the bottom (position_min -2, z_offset 1): a level bed at
    // z = -3, so both steppers get the same -3 mm (nothing moves relative to the other)
    expect(r.responses.some((l) => l.includes("Making the following Z adjustments:\n// stepper_z = -3.000000\n// stepper_z1 = -3.000000"))).toBe(true);
    expect(r.responses.some((l) => l.includes("Retries: 0/2 Probed points range: 0.000000 tolerance: 0.010000"))).toBe(true);
  });
});
