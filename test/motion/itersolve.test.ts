// The step-time solver against closed-form step times, direction changes, activity
// detection and the position functions of every stepper kinematics.
import { describe, expect, test } from "bun:test";
import { CartesianStepperKinematics } from "../../src/motion/steps/stepper-kinematics/cartesian.ts";
import { CoreXYStepperKinematics } from "../../src/motion/steps/stepper-kinematics/corexy.ts";
import { CoreXZStepperKinematics } from "../../src/motion/steps/stepper-kinematics/corexz.ts";
import { DeltaStepperKinematics } from "../../src/motion/steps/stepper-kinematics/delta.ts";
import { trilateration } from "../../src/motion/kinematics/delta.ts";
import { Rig } from "./helpers.ts";
import { seededRandom } from "../../scripts/lib/random.ts";

const FREQ = 16e6, MAX_ERR = 400, SD = 0.0125;

/** Each produced step must be at most MAX_ERR ticks before its exact time (and not after it). */
function expectOnTime(clocks: number[], exactTimes: number[]) {
  expect(clocks.length).toBe(exactTimes.length);
  let worst = 0;
  for (let i = 0; i < clocks.length; i++) {
    const ideal = exactTimes[i]! * FREQ;
    const early = ideal - clocks[i]!;
    expect(early).toBeGreaterThan(-1.001);
    worst = Math.max(worst, early);
  }
  expect(worst).toBeLessThanOrEqual(MAX_ERR + 1);
}

describe("itersolve", () => {
  test("constant velocity: evenly spaced steps at the half-step crossings", () => {
    const rig = new Rig(new CartesianStepperKinematics("x"), SD);
    rig.sk.setPosition(0, 0, 0);
    // 10 mm at 100 mm/s starting at t=1
    rig.tq.append(1.0, 0, 0.1, 0, 0, 0, 0, 1, 0, 0, 100, 100, 0);
    const { clocks, dirs } = rig.run(2.0);
    const exact = Array.from({ length: 800 }, (_, k) => 1.0 + (k + 0.5) * SD / 100);
    expectOnTime(clocks, exact);
    expect(dirs.every((d) => d === 1)).toBe(true);
    expect(rig.sk.commandedPos).toBeCloseTo(10, 9);
  });

  test("trapezoid: step times follow the closed-form position", () => {
    const rig = new Rig(new CartesianStepperKinematics("y"), SD);
    const a = 3000, v = 150, t0 = 0.5;
    const ta = v / a, da = 0.5 * a * ta * ta, dc = 20, tc = dc / v;
    rig.tq.append(t0, ta, tc, ta, 0, 5, 0, 0, 1, 0, 0, v, a);
    const total = 2 * da + dc;
    const n = Math.floor(total / SD + 1e-9);
    const timeAt = (s: number) => {
      if (s <= da) return t0 + Math.sqrt(2 * s / a);
      if (s <= da + dc) return t0 + ta + (s - da) / v;
      const r = total - s; // distance left during decel: r = 0.5 a (T - t)^2
      return t0 + 2 * ta + tc - Math.sqrt(2 * r / a);
    };
    rig.sk.setPosition(0, 5, 0);
    const { clocks } = rig.run(2.0);
    expectOnTime(clocks, Array.from({ length: n }, (_, k) => timeAt((k + 0.5) * SD)));
  });

  test("a reversal emits set_next_step_dir and the net position is right", () => {
    const rig = new Rig(new CartesianStepperKinematics("x"), SD);
    rig.sk.setPosition(10, 0, 0);
    const a = 1000, t = Math.sqrt(1 / a); // 1 mm out and back, each accel + decel
    rig.tq.append(1.0, t, 0, t, 10, 0, 0, 1, 0, 0, 0, a * t, a); // 10 -> 11
    rig.tq.append(1.0 + 2 * t, t, 0, t, 11, 0, 0, -1, 0, 0, 0, a * t, a); // 11 -> 10
    const out = rig.run(3.0);
    const dirMsgs = rig.msgs.filter((m) => m.name === "set_next_step_dir").map((m) => m.params.dir);
    expect(dirMsgs).toEqual([1, 0]);
    const ups = out.dirs.filter((d) => d === 1).length, downs = out.dirs.length - ups;
    expect(ups).toBe(80);
    expect(downs).toBe(80);
    expect(rig.sk.commandedPos).toBeCloseTo(10, 9);
  });

  test("random moves: every step sits at its half-step crossing (fixed seed)", () => {
    const r = seededRandom(777);
    const rig = new Rig(new CartesianStepperKinematics("x"), SD);
    let pos = 50, t = 0.3;
    rig.sk.setPosition(pos, 0, 0);
    const moves: [number, number, number, number, number][] = []; // start, dur, x0, dir, accel
    for (let i = 0; i < 200; i++) {
      const dir = r() < 0.5 ? -1 : 1, a = 500 + r() * 4000, d = 0.05 + r() * 10;
      const ta = Math.sqrt(d / a); // symmetric accel/decel from and to standstill
      rig.tq.append(t, ta, 0, ta, pos, 0, 0, dir, 0, 0, 0, a * ta, a);
      moves.push([t, 2 * ta, pos, dir, a]);
      pos += dir * d;
      t += 2 * ta + (r() < 0.2 ? r() * 0.5 : 0);
    }
    const out = rig.run(t + 1);
    const posAt = (time: number) => {
      let x = moves[0]![2];
      for (const [s, dur, x0, dir, a] of moves) {
        if (time < s) break;
        const tt = Math.min(time - s, dur), h = dur / 2;
        const dist = tt <= h ? 0.5 * a * tt * tt : a * h * h - 0.5 * a * (dur - tt) ** 2;
        x = x0 + dir * dist;
      }
      return x;
    };
    // Replay: the boundary crossed by each step must be crossed within MAX_ERR ticks after it
    let cmd = 50, bad = 0;
    for (let i = 0; i < out.clocks.length; i++) {
      const sgn = out.dirs[i] ? 1 : -1;
      const boundary = cmd + sgn * SD / 2;
      const before = (posAt(out.clocks[i]! / FREQ - 2 / FREQ) - boundary) * sgn;
      const after = (posAt((out.clocks[i]! + MAX_ERR + 2) / FREQ) - boundary) * sgn;
      if (!(before <= 1e-9 && after >= -1e-9)) bad++;
      cmd += sgn * SD;
    }
    expect(bad).toBe(0);
    expect(cmd).toBeCloseTo(Math.round(pos / SD) * SD, 9);
  });

  test("checkActive reports the first move that moves the stepper", () => {
    const rig = new Rig(new CartesianStepperKinematics("z"), SD);
    rig.tq.append(1.0, 0, 1.0, 0, 0, 0, 0, 1, 0, 0, 10, 10, 0); // x only
    rig.tq.append(2.0, 0, 1.0, 0, 10, 0, 0, 0, 0, 1, 1, 1, 0); // z
    rig.tq.checkSentinels();
    expect(rig.sk.checkActive(1.5)).toBe(0);
    expect(rig.sk.checkActive(2.5)).toBe(2.0);
    expect(rig.sk.isActiveAxis("z")).toBe(true);
    expect(rig.sk.isActiveAxis("x")).toBe(false);
  });
});

describe("stepper position functions", () => {
  test("corexy and corexz motors follow sums and differences", () => {
    expect(new CoreXYStepperKinematics("+").calcPositionFromCoord(3, 4, 5)).toBe(7);
    expect(new CoreXYStepperKinematics("-").calcPositionFromCoord(3, 4, 5)).toBe(-1);
    expect(new CoreXZStepperKinematics("+").calcPositionFromCoord(3, 4, 5)).toBe(8);
    expect(new CoreXZStepperKinematics("-").calcPositionFromCoord(3, 4, 5)).toBe(-2);
  });

  test("delta inverse kinematics agrees with trilateration (forward)", () => {
    const r = seededRandom(4242), radius = 140, arm = 300;
    const towers = [210, 330, 90].map((a) => [Math.cos(a * Math.PI / 180) * radius, Math.sin(a * Math.PI / 180) * radius] as const);
    const sks = towers.map(([tx, ty]) => new DeltaStepperKinematics(arm * arm, tx, ty));
    for (let i = 0; i < 200; i++) {
      const p = [(r() - 0.5) * 200, (r() - 0.5) * 200, r() * 300];
      const carriages = sks.map((sk) => sk.calcPositionFromCoord(p[0]!, p[1]!, p[2]!));
      const back = trilateration(towers.map(([tx, ty], k) => [tx, ty, carriages[k]!]) as never, [arm * arm, arm * arm, arm * arm]);
      for (let k = 0; k < 3; k++) expect(back[k]).toBeCloseTo(p[k]!, 8);
    }
  });
});
