import { describe, expect, test } from "bun:test";
import { planArc } from "../../src/extras/moves/arcs.ts";

describe("planArc", () => {
  test("counter-clockwise quarter circle stays on the radius and ends on target", () => {
    const segs = planArc({
      current: [10, 0, 0, 0], target: [0, 10, 0], offset: [-10, 0], clockwise: false,
      plane: "XY", e: null, absoluteExtrude: true, resolution: 1,
    });
    // quarter of a 10 mm radius circle = 15.7 mm -> 15 segments
    expect(segs.length).toBe(15);
    for (const s of segs) expect(Math.hypot(s.X, s.Y)).toBeCloseTo(10, 9);
    expect(segs.at(-1)).toEqual({ X: 0, Y: 10, Z: 0 });
    // counter-clockwise: angle increases
    const angles = segs.map((s) => Math.atan2(s.Y, s.X));
    for (let i = 1; i < angles.length; i++) expect(angles[i]!).toBeGreaterThan(angles[i - 1]!);
  });

  test("clockwise from the same points goes the long way round", () => {
    const segs = planArc({
      current: [10, 0, 0, 0], target: [0, 10, 0], offset: [-10, 0], clockwise: true,
      plane: "XY", e: null, absoluteExtrude: true, resolution: 1,
    });
    expect(segs.length).toBe(Math.floor((3 * Math.PI * 10) / 2));
    expect(segs[0]!.Y).toBeLessThan(0);
  });

  test("same start and end is a full helical circle with extrusion split evenly", () => {
    const segs = planArc({
      current: [5, 0, 1, 2], target: [5, 0, 3], offset: [-5, 0], clockwise: false,
      plane: "XY", e: 4, absoluteExtrude: true, resolution: 2,
    });
    const n = Math.floor(Math.hypot(2 * Math.PI * 5, 2) / 2);
    expect(segs.length).toBe(n);
    expect(segs[0]!.Z).toBeCloseTo(1 + 2 / n, 12);
    expect(segs.at(-1)!.E).toBeCloseTo(4, 12);
    expect(segs[0]!.E).toBeCloseTo(2 + 2 / n, 12);
  });

  test("XZ plane uses the second offset for Z", () => {
    const segs = planArc({
      current: [10, 7, 0, 0], target: [0, 7, 10], offset: [-10, 0], clockwise: false,
      plane: "XZ", e: null, absoluteExtrude: true, resolution: 1,
    });
    for (const s of segs) {
      expect(s.Y).toBe(7);
      expect(Math.hypot(s.X, s.Z)).toBeCloseTo(10, 9);
    }
  });
});
