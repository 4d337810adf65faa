// gcode_move through real batch runs: speed and extrusion factors, offsets,
// saved states and the position report.
import { describe, expect, test } from "bun:test";
import { cruiseInterval, netSteps, runGcode } from "../support/printer-rig.ts";
import { CARTESIAN_MOTION_CFG, EXTRUDER_CFG } from "../support/printer-configs.ts";

const STEPS_PER_MM = 80;
const HOMED_X = (305 + 10) * STEPS_PER_MM; // G28 steps on X
const HOMING_NET_MM = -305;
const E_STEPS_PER_MM = 3200 / 33.5;


describe("gcode_move", () => {
  test("M220 S50 halves the feed rate", async () => {
    const full = await runGcode(CARTESIAN_MOTION_CFG, "G28\nG1 X150 F6000\n");
    const half = await runGcode(CARTESIAN_MOTION_CFG, "G28\nM220 S50\nG1 X150 F6000\n");
    expect(cruiseInterval(full.stepsByPin.get("PF0")!, HOMED_X)).toBeCloseTo(1 / (100 * STEPS_PER_MM), 7);
    expect(cruiseInterval(half.stepsByPin.get("PF0")!, HOMED_X)).toBeCloseTo(1 / (50 * STEPS_PER_MM), 7);
  });

  test("M221 S200 doubles extrusion", async () => {
    const run = await runGcode(CARTESIAN_MOTION_CFG + EXTRUDER_CFG, "G28\nM83\nM221 S200\nG1 X100 E1 F600\n");
    expect(run.responses.filter((l) => l.startsWith("!!"))).toEqual([]);
    expect(Math.abs(netSteps(run.stepsByPin.get("PA4")!) - 2 * E_STEPS_PER_MM)).toBeLessThanOrEqual(1);
  });

  test("SET_GCODE_OFFSET shifts later moves", async () => {
    const run = await runGcode(CARTESIAN_MOTION_CFG, "G28\nSET_GCODE_OFFSET X=5\nG1 X10 F6000\nM114\n");
    expect(netSteps(run.stepsByPin.get("PF0")!)).toBe((HOMING_NET_MM + 15) * STEPS_PER_MM);
    // M114 reports g-code coordinates (without the offset)
    expect(run.responses).toContain("X:10.000 Y:0.000 Z:0.500 E:0.000");
  });

  test("RESTORE_GCODE_STATE brings back absolute mode", async () => {
    const run = await runGcode(CARTESIAN_MOTION_CFG,
      "G28\nG1 X10 F6000\nSAVE_GCODE_STATE NAME=s\nG91\nG1 X5\nRESTORE_GCODE_STATE NAME=s\nG1 X20\n");
    expect(netSteps(run.stepsByPin.get("PF0")!)).toBe((HOMING_NET_MM + 20) * STEPS_PER_MM);
    const bad = await runGcode(CARTESIAN_MOTION_CFG, "RESTORE_GCODE_STATE NAME=nope\n");
    expect(bad.responses.some((l) => l.startsWith("!! Unknown g-code state: nope"))).toBe(true);
  });

  test("a non-numeric coordinate and a zero feed rate are rejected", async () => {
    const run = await runGcode(CARTESIAN_MOTION_CFG, "G28\nG1 X=5\nG1 X5 F0\nG1 X7 F6000\n");
    expect(run.responses.some((l) => l.startsWith("!! Unable to parse move 'G1 X=5'"))).toBe(true);
    expect(run.responses.some((l) => l.startsWith("!! Invalid speed in 'G1 X5 F0'"))).toBe(true);
    // As in klippy, the error ends the run: the rest of the block still runs, but no move reaches the MCU
    expect(run.result.result).toBe("error_exit");
    expect(netSteps(run.stepsByPin.get("PF0")!)).toBe(HOMING_NET_MM * STEPS_PER_MM);
  });

  test("G2 draws a quarter circle ending on the target", async () => {
    const run = await runGcode(CARTESIAN_MOTION_CFG + "\n[gcode_arcs]\nresolution: 0.5\n", "G28\nG1 X60 Y50 F6000\nG2 X50 Y40 I-10 J0\n");
    expect(netSteps(run.stepsByPin.get("PF0")!)).toBe((HOMING_NET_MM + 50) * STEPS_PER_MM);
    expect(netSteps(run.stepsByPin.get("PF6")!, true)).toBe((HOMING_NET_MM + 40) * STEPS_PER_MM);
  });
});
