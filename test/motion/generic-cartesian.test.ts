// generic_cartesian kinematics with dual and extra carriages (tk_generic_cartesian_h723's
// printer.cfg on two batch MCUs): config checks, stepper coefficient parsing, forward
// kinematics, and dual-carriage modes as seen by the steppers.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadKinematics, type KinematicsHost } from "../../src/motion/kinematics/index.ts";
import { GenericCartesianKinematics } from "../../src/motion/kinematics/generic-cartesian.ts";
import type { DualCarriages } from "../../src/motion/kinematics/idex-modes.ts";
import { motionRig } from "../support/printer-rig.ts";
import { KLIPPER_REFERENCE as REF } from "../support/reference.ts";
import { TempDir } from "../support/temp-dir.ts";

const CFG = readFileSync(`${REF}/cases/tk_generic_cartesian_h723/printer.cfg`, "utf8");
const tmp = new TempDir("stepline-steps-");
afterAll(() => tmp.remove());
let runs = 0;

/** Command and object registry standing in for the printer, plus a toolhead position holder. */
function host() {
  const commands = new Map<string, (g: never) => void>();
  const objects = new Map<string, unknown>();
  const events: string[] = [];
  const h: KinematicsHost = {
    gcode: { register: (cmd, handler) => { commands.set(cmd, handler as never); } },
    addObject: (name, obj) => { objects.set(name, obj); },
    registerEventHandler: () => {},
    sendEvent: (event) => { events.push(event); return []; },
    lookupObject: <T>(name: string) => objects.get(name) as T,
  };
  return { h, commands, objects, events };
}

function build(cfg = CFG) {
  const rig = motionRig(cfg, join(tmp.path, `gc-${++runs}.serial`), ["extboard"]);
  const hs = host();
  const kin = loadKinematics("generic_cartesian", { ...rig.env, host: hs.h }) as GenericCartesianKinematics;
  let pos = [0, 0, 0, 0];
  hs.objects.set("toolhead", {
    flushStepGeneration: () => {},
    getPosition: () => [...pos],
    setPosition: (p: number[]) => { pos = [...p]; kin.setPosition(p, ""); },
    manualMove: () => { throw new Error("not moving in this test"); },
    getKinematics: () => kin,
  });
  return { rig, kin, hs, dc: hs.objects.get("dual_carriage") as DualCarriages };
}

const stepperPos = (kin: GenericCartesianKinematics) =>
  Object.fromEntries(kin.getSteppers().map((s) => [s.getName(), s.getCommandedPosition()]));

describe("generic_cartesian", () => {
  test("builds every carriage, stepper and command", () => {
    const { kin, hs, dc } = build();
    expect(kin.getSteppers().map((s) => s.getName(true))).toEqual([
      "stepper_t0_x", "stepper_t1_x", "stepper_t2_x", "stepper_t3_x",
      "gantry0_left", "gantry0_right", "gantry1_left", "gantry1_right", "z0", "z1", "z2"]);
    expect([...hs.commands.keys()].sort()).toEqual(
      ["RESTORE_DUAL_CARRIAGE_STATE", "SAVE_DUAL_CARRIAGE_STATE", "SET_DUAL_CARRIAGE", "SET_STEPPER_CARRIAGES"]);
    expect(dc.getStatus()).toEqual({
      carriages: {
        "carriage carriage_t0": "PRIMARY", "carriage carriage_gantry0_left": "PRIMARY",
        "dual_carriage carriage_t1": "INACTIVE", "dual_carriage carriage_t2": "INACTIVE",
        "dual_carriage carriage_t3": "INACTIVE",
        "dual_carriage carriage_gantry1_left": "INACTIVE",
      },
    });
    expect(kin.getStatus()).toEqual({ homed_axes: "", axis_minimum: [0, 0, 0, 0], axis_maximum: [300, 200, 100, 0] });
  });

  test("forward kinematics inverts the stepper positions of the active carriages", () => {
    const { kin } = build();
    kin.setPosition([12.5, 40, 3], "xyz");
    const pos = stepperPos(kin);
    expect(pos["stepper stepper_t0_x"]).toBeCloseTo(12.5, 12);
    expect(pos["stepper gantry0_right"]).toBeCloseTo(40, 12);
    const back = kin.calcPosition(pos);
    expect(back.map((v) => v === null ? null : Number(v.toFixed(9)))).toEqual([12.5, 40, 3]);
    expect(kin.getStatus().homed_axes).toBe("xyz");
  });

  test("switching the active carriage parks the other at its position", () => {
    const { kin, dc, hs } = build();
    kin.setPosition([10, 20, 5], "xyz");
    (hs.objects.get("toolhead") as { setPosition(p: number[]): void }).setPosition([10, 20, 5, 0]);
    const t0 = dc.dcRails.get("carriage_t0")!, t1 = dc.dcRails.get("carriage_t1")!;
    dc.activateDcMode(t1, "PRIMARY");
    expect(t0.mode).toBe("INACTIVE");
    expect(t1.mode).toBe("PRIMARY");
    expect(t0.getAxisPosition([99, 0, 0])).toBe(10); // parked where it was
    expect(kin.getSteppers()[0]!.calcPositionFromCoord([99, 0, 0])).toBe(10);
    // t1 was parked at 0 (its offset), so the toolhead x is now t1's position
    expect(kin.getSteppers()[1]!.calcPositionFromCoord([42, 0, 0])).toBe(42);
  });

  test("SET_STEPPER_CARRIAGES style coefficient strings", async () => {
    const { parseCarriagesString } = await import("../../src/motion/kinematics/generic-cartesian.ts");
    const carriages = new Map([["cx", { getAxis: () => 0 }], ["cy", { getAxis: () => 1 }], ["cz", { getAxis: () => 2 }]]) as never;
    const err = (m: string) => new Error(m);
    expect(parseCarriagesString("cx+cy", carriages, err)[0]).toEqual([1, 1, 0]);
    expect(parseCarriagesString("0.5*cx-2*cz", carriages, err)[0]).toEqual([0.5, 0, -2]);
    expect(() => parseCarriagesString("cx - 2*cz", carriages, err)).toThrow("Invalid float '- 2'"); // as Klipper
    expect(parseCarriagesString("-cy", carriages, err)[0]).toEqual([0, -1, 0]);
    expect(() => parseCarriagesString("cx+cq", carriages, err)).toThrow("Invalid 'cq' carriage referenced in 'cx+cq'");
    expect(() => parseCarriagesString("cx+2*cx", carriages, err)).toThrow("Axis 'x' was referenced multiple times");
    expect(() => parseCarriagesString("a*cx", carriages, err)).toThrow("Invalid float 'a'");
  });

  test("configuration errors", () => {
    expect(() => build(CFG.replace("[carriage carriage_z0]\naxis: z", "[carriage carriage_z0]\naxis: y")))
      .toThrow("Axis 'y' is set for multiple primary carriages (carriage_gantry0_left, carriage_z0)");
    expect(() => build(CFG.replace("carriages: carriage_z2", "carriages: carriage_z1")))
      .toThrow("Carriage(s) carriage_z2 must be referenced by some stepper(s)");
    expect(() => build(CFG.replace("primary_carriage: carriage_t2\nsafe_distance", "primary_carriage: carriage_t0\nsafe_distance")))
      .toThrow("Multiple dual carriages ('carriage_t1', 'carriage_t3') for carriage 'carriage_t0'");
  });
});
