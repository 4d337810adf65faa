// Toolhead and gcode_move behaviour through a real batch run: config and g-code
// in a temp dir, MCU bytes decoded and executed into step times.
import { describe, expect, test } from "bun:test";
import { cruiseInterval, netSteps, runGcode, type Steps } from "../support/printer-rig.ts";
import { CARTESIAN_MOTION_CFG } from "../support/printer-configs.ts";

const X_PIN = "PF0";
const STEPS_PER_MM = 80;
/** G28 on this printer: 300 mm towards the endstop, 5 mm back, 10 mm slow approach. */
const HOMING_NET_MM = -305;
const ACCEL = 3000;
/** Time from a standstill to the first half step (and from the last half step to a stop). */
const HALF_STEP_T = Math.sqrt((2 * (0.5 / STEPS_PER_MM)) / ACCEL);

function xSteps(steps: Map<string, Steps>): Steps {
  const s = steps.get(X_PIN);
  if (!s) throw new Error("no stepper on PF0 in the output");
  return s;
}

/** Largest gap between consecutive steps (where one move ends and the next starts). */
function biggestGap(times: number[], after: number): { gap: number; at: number } {
  let best = { gap: 0, at: 0 };
  for (let i = 1; i < times.length; i++) {
    if (times[i - 1]! < after) continue;
    const g = times[i]! - times[i - 1]!;
    if (g > best.gap) best = { gap: g, at: i };
  }
  return best;
}

describe("batch toolhead", () => {
  test("homing plus an absolute move ends at the commanded position", async () => {
    const run = await runGcode(CARTESIAN_MOTION_CFG, "G28\nG1 X10 F6000\n");
    expect(run.result.error).toBeNull();
    expect(netSteps(xSteps(run.stepsByPin))).toBe((HOMING_NET_MM + 10) * STEPS_PER_MM);
  });

  test("G4 P500 puts exactly 0.5 s between the end of one move and the start of the next", async () => {
    const run = await runGcode(CARTESIAN_MOTION_CFG, "G28\nG1 X10 F6000\nG4 P500\nG1 X20\n");
    const x = xSteps(run.stepsByPin).times;
    const homingEnd = x[(305 + 10) * STEPS_PER_MM - 1]!;
    const { gap } = biggestGap(x, homingEnd + 0.01);
    // last half step of the first move to first half step of the second
    expect(Math.abs(gap - (0.5 + 2 * HALF_STEP_T))).toBeLessThan(30e-6);
  });

  test("after M400 the next move waits for the idle flush that ran between input blocks", async () => {
    // The whole input is one 4 KiB block: after it, the background flush finds
    // nothing queued and generates steps 0.25 s past the end of the motion; the
    // move planned later (at end of input) starts after that (+ 2 x 1 ms scan window)
    const run = await runGcode(CARTESIAN_MOTION_CFG, "G28\nG1 X10 F6000\nM400\nG1 X20\n");
    const x = xSteps(run.stepsByPin).times;
    const homingEnd = x[(305 + 10) * STEPS_PER_MM - 1]!;
    const { gap } = biggestGap(x, homingEnd + 0.01);
    expect(Math.abs(gap - (0.25 + 0.002 + 2 * HALF_STEP_T))).toBeLessThan(30e-6);
    // A dwell longer than that is what separates the moves in the G4 test above
  });

  test("G92 shifts the coordinate system and G91 makes moves relative", async () => {
    const run = await runGcode(CARTESIAN_MOTION_CFG, "G28\nG1 X10 F6000\nG92 X0\nG1 X5\nG91\nG1 X-2\n");
    expect(netSteps(xSteps(run.stepsByPin))).toBe((HOMING_NET_MM + 13) * STEPS_PER_MM);
    const pos = await runGcode(CARTESIAN_MOTION_CFG, "G28\nG1 X10 F6000\nG92 X0\nG1 X5\nG91\nG1 X-2\nGET_POSITION\n");
    const toolhead = pos.responses.find((l) => l.includes("toolhead:"));
    expect(toolhead).toContain("toolhead: X:13.000000");
    expect(pos.responses.find((l) => l.includes("gcode base:"))).toContain("gcode base: X:10.000000");
  });

  test("SET_VELOCITY_LIMIT caps the cruise speed", async () => {
    const fast = await runGcode(CARTESIAN_MOTION_CFG, "G28\nG1 X150 F12000\n");
    const slow = await runGcode(CARTESIAN_MOTION_CFG, "G28\nSET_VELOCITY_LIMIT VELOCITY=50\nG1 X150 F12000\n");
    const from = (305 + 10) * STEPS_PER_MM;
    // F12000 = 200 mm/s vs a 50 mm/s limit: 16000 vs 4000 steps per second
    expect(cruiseInterval(xSteps(fast.stepsByPin), from)).toBeCloseTo(1 / (200 * STEPS_PER_MM), 7);
    expect(cruiseInterval(xSteps(slow.stepsByPin), from)).toBeCloseTo(1 / (50 * STEPS_PER_MM), 7);
  });

  test("an out-of-range move is reported with its line and stops the run as klippy does", async () => {
    const run = await runGcode(CARTESIAN_MOTION_CFG, "G28\nG1 X250 F6000\nG1 X20\n");
    const i = run.responses.findIndex((l) => l.startsWith("!! Move out of range: 250.000 0.000 0.500 [0.000]"));
    expect(i).toBeGreaterThanOrEqual(0);
    expect(run.responses[i]).toContain("input.gcode:2: G1 X250 F6000");
    expect(run.result.result).toBe("error_exit");
    expect(run.result.error).toBe("Move out of range: 250.000 0.000 0.500 [0.000]");
    // klippy's reactor ends at the error: the queued X20 never reaches the MCU
    expect(netSteps(xSteps(run.stepsByPin))).toBe(HOMING_NET_MM * STEPS_PER_MM);
  });

  test("moves before homing are refused", async () => {
    const run = await runGcode(CARTESIAN_MOTION_CFG, "G1 X20 F6000\n");
    expect(run.responses.some((l) => l.startsWith("!! Must home axis first: 20.000 0.000 0.000 [0.000]"))).toBe(true);
    expect(xSteps(run.stepsByPin).times.length).toBe(0);
  });

  test("E moves on a printer without an extruder are refused", async () => {
    const run = await runGcode(CARTESIAN_MOTION_CFG, "G28\nG1 X1 E1 F6000\nG1 X2\n");
    expect(run.responses.some((l) => l.startsWith("!! Extrude when no extruder present"))).toBe(true);
    expect(run.result.result).toBe("error_exit");
    expect(netSteps(xSteps(run.stepsByPin))).toBe(HOMING_NET_MM * STEPS_PER_MM);
  });

  test("the output is byte-for-byte deterministic", async () => {
    const g = "G28\nG1 X10 Y20 Z5 F6000\nG4 P100\nG1 X50 Y50\nM400\nG1 X0 Y0 Z1\n";
    const a = await runGcode(CARTESIAN_MOTION_CFG, g);
    const b = await runGcode(CARTESIAN_MOTION_CFG, g);
    expect(a.bytes.length).toBeGreaterThan(1000);
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
  });

  test("the config phase ends with finalize_config and homing arms the endstop first", async () => {
    const run = await runGcode(CARTESIAN_MOTION_CFG, "G28 X\n");
    const names = run.messages.map((m) => m.name);
    expect(names[0]).toBe("allocate_oids");
    const fin = names.indexOf("finalize_config");
    expect(fin).toBeGreaterThan(0);
    const firstStep = names.indexOf("queue_step");
    const arm = names.indexOf("endstop_home");
    expect(arm).toBeGreaterThan(fin);
    expect(names.indexOf("trsync_start")).toBeLessThan(arm);
    expect(firstStep).toBeGreaterThan(fin);
  });
});

describe("force_move", () => {
  const cfg = `${CARTESIAN_MOTION_CFG}\n[force_move]\nenable_force_move: True\n`;

  test("FORCE_MOVE moves one stepper without homing", async () => {
    const run = await runGcode(cfg, "FORCE_MOVE STEPPER=stepper_x DISTANCE=10 VELOCITY=5\nFORCE_MOVE STEPPER=stepper_x DISTANCE=-2 VELOCITY=5 ACCEL=100\n");
    expect(run.responses.filter((l) => l.startsWith("!!"))).toEqual([]);
    expect(netSteps(xSteps(run.stepsByPin))).toBe(8 * STEPS_PER_MM);
  });

  test("SET_KINEMATIC_POSITION declares a homed position", async () => {
    const run = await runGcode(cfg, "SET_KINEMATIC_POSITION X=50 Y=50 Z=10\nG1 X60 F6000\n");
    expect(run.responses.filter((l) => l.startsWith("!!"))).toEqual([]);
    expect(netSteps(xSteps(run.stepsByPin))).toBe(10 * STEPS_PER_MM);
    const cleared = await runGcode(cfg, "SET_KINEMATIC_POSITION X=50 Y=50 Z=10 CLEAR_HOMED=X\nG1 X60 F6000\n");
    expect(cleared.responses.some((l) => l.startsWith("!! Must home axis first"))).toBe(true);
  });

  test("STEPPER_BUZZ returns the stepper to where it started", async () => {
    const run = await runGcode(CARTESIAN_MOTION_CFG, "STEPPER_BUZZ STEPPER=stepper_y\n");
    const y = run.stepsByPin.get("PF6")!;
    expect(y.times.length).toBe(10 * 2 * STEPS_PER_MM);
    expect(netSteps(y)).toBe(0);
  });
});
