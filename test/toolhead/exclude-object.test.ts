// exclude_object through a real batch run: moves inside an excluded object
// produce no steps, and printing resumes at the right place afterwards.
import { describe, expect, test } from "bun:test";
import { netSteps, runGcode } from "../support/printer-rig.ts";
import { CARTESIAN_MOTION_CFG, EXTRUDER_CFG } from "../support/printer-configs.ts";

const EXCLUDE_CFG = `${EXTRUDER_CFG}\n[exclude_object]\n`;


const HOMED_X_STEPS = 315 * 80; // G28 X: 300 + 5 + 10 mm

// Once installed (at the first EXCLUDE_OBJECT), the transform learns the
// extruder state from five extruding moves before it starts skipping
const PRELUDE = "M83\nG1 X1 E0.01 F6000\nG1 X2 E0.01\nG1 X3 E0.01\nG1 X4 E0.01\nG1 X5 E0.01\nG1 X0 E0.01\n";
const OBJECTS = "EXCLUDE_OBJECT_DEFINE NAME=part_a\nEXCLUDE_OBJECT_DEFINE NAME=part_b\n";
const PRINT =
  "EXCLUDE_OBJECT_START NAME=part_a\nG1 X10 E0.1\nEXCLUDE_OBJECT_END\n" +
  "EXCLUDE_OBJECT_START NAME=part_b\nG1 X50 E0.1\nG1 X60 E0.1\nEXCLUDE_OBJECT_END\n" +
  "EXCLUDE_OBJECT_START NAME=part_a\nG1 X20 E0.1\nEXCLUDE_OBJECT_END\n";

describe("exclude_object", () => {
  test("moves inside an excluded object are skipped", async () => {
    const cfg = CARTESIAN_MOTION_CFG + EXCLUDE_CFG;
    const all = await runGcode(cfg, "G28\n" + OBJECTS + PRELUDE + PRINT);
    const skip = await runGcode(cfg, "G28\n" + OBJECTS + "EXCLUDE_OBJECT NAME=part_b\n" + PRELUDE + PRINT);
    expect(skip.responses).toContain("// Excluding object PART_B");
    const xAll = all.stepsByPin.get("PF0")!, xSkip = skip.stepsByPin.get("PF0")!;
    const prelude = 5 * 80 + 5 * 80; // out to X5 and back to X0
    // 0 -> 10 -> 50 -> 60 -> 20 versus 0 -> 10 -> 20
    expect(xAll.times.length - HOMED_X_STEPS - prelude).toBe(100 * 80);
    expect(xSkip.times.length - HOMED_X_STEPS - prelude).toBe(20 * 80);
    expect(netSteps(xSkip)).toBe(netSteps(xAll));
    // the excluded extrusion (0.2 mm) is not done either
    const eAll = netSteps(all.stepsByPin.get("PA4")!), eSkip = netSteps(skip.stepsByPin.get("PA4")!);
    const ePerMm = 3200 / 33.5;
    expect(Math.abs(eAll - eSkip - 0.2 * ePerMm)).toBeLessThanOrEqual(1);
  });

  test("EXCLUDE_OBJECT lists and EXCLUDE_OBJECT_DEFINE reports known objects", async () => {
    const run = await runGcode(CARTESIAN_MOTION_CFG + EXCLUDE_CFG,
      "EXCLUDE_OBJECT_DEFINE NAME=b CENTER=1,2\nEXCLUDE_OBJECT_DEFINE NAME=a\nEXCLUDE_OBJECT_DEFINE\nEXCLUDE_OBJECT NAME=b\nEXCLUDE_OBJECT\nEXCLUDE_OBJECT_START\n");
    expect(run.responses).toContain("// Known objects: A B");
    expect(run.responses).toContain("// Excluded objects: B");
    expect(run.responses.some((l) => l.startsWith("!! Error on 'EXCLUDE_OBJECT_START'"))).toBe(true);
  });
});
