import { describe, expect, test } from "bun:test";
import { LookAheadQueue, Move, type MoveLimits } from "../../src/motion/lookahead.ts";

function limits(maxVelocity: number, maxAccel: number, scv = 5, mcr = 0.5): MoveLimits {
  return {
    maxVelocity,
    maxAccel,
    junctionDeviation: (scv * scv * (Math.SQRT2 - 1)) / maxAccel,
    mcrPseudoAccel: maxAccel * (1 - mcr),
    extraAxes: [],
  };
}

/** Distance covered by a planned move, from its phase times and speeds. */
function plannedDistance(m: Move): number {
  return ((m.startV + m.cruiseV) / 2) * m.accelT + m.cruiseV * m.cruiseT + ((m.cruiseV + m.endV) / 2) * m.decelT;
}

describe("LookAheadQueue", () => {
  test("a lone long move accelerates to the requested speed, cruises and stops", () => {
    const q = new LookAheadQueue();
    const m = new Move(limits(500, 3000), [0, 0, 0, 0], [100, 0, 0, 0], 100);
    q.addMove(m);
    const [planned] = q.flush();
    expect(planned).toBe(m);
    expect(m.startV).toBe(0);
    expect(m.endV).toBe(0);
    expect(m.cruiseV).toBeCloseTo(100, 9);
    expect(m.accelT).toBeCloseTo(100 / 3000, 12);
    expect(m.decelT).toBeCloseTo(100 / 3000, 12);
    expect(plannedDistance(m)).toBeCloseTo(100, 9);
    expect(q.isEmpty()).toBe(true);
  });

  test("a 90 degree corner is taken at square_corner_velocity", () => {
    const q = new LookAheadQueue();
    const lim = limits(500, 3000, 5);
    const a = new Move(lim, [0, 0, 0, 0], [50, 0, 0, 0], 100);
    const b = new Move(lim, [50, 0, 0, 0], [50, 50, 0, 0], 100);
    q.addMove(a);
    q.addMove(b);
    q.flush();
    expect(a.endV).toBeCloseTo(5, 9);
    expect(b.startV).toBeCloseTo(5, 9);
    expect(plannedDistance(a)).toBeCloseTo(50, 9);
    expect(plannedDistance(b)).toBeCloseTo(50, 9);
  });

  test("collinear moves keep cruising through the junction", () => {
    const q = new LookAheadQueue();
    const lim = limits(500, 3000);
    const a = new Move(lim, [0, 0, 0, 0], [50, 0, 0, 0], 100);
    const b = new Move(lim, [50, 0, 0, 0], [100, 0, 0, 0], 100);
    q.addMove(a);
    q.addMove(b);
    q.flush();
    expect(a.decelT).toBe(0);
    expect(a.endV).toBeCloseTo(100, 9);
    expect(b.startV).toBeCloseTo(100, 9);
  });

  test("minimum_cruise_ratio caps the peak speed of short accel/decel moves", () => {
    // Two short collinear moves that could reach sqrt(2*d*a) without the ratio
    const run = (mcr: number) => {
      const q = new LookAheadQueue();
      const lim = limits(500, 1000, 5, mcr);
      const a = new Move(lim, [0, 0, 0, 0], [1, 0, 0, 0], 400);
      const b = new Move(lim, [1, 0, 0, 0], [2, 0, 0, 0], 400);
      q.addMove(a);
      q.addMove(b);
      q.flush();
      return Math.max(a.cruiseV, b.cruiseV);
    };
    const free = run(0);
    const limited = run(0.5);
    expect(free).toBeCloseTo(Math.sqrt(2 * 1 * 1000), 6); // full accel then full decel
    expect(limited).toBeLessThan(free);
    expect(limited * limited).toBeCloseTo(2 * 1 * 1000 * 0.5, 6);
  });

  test("lazy flush holds back moves whose speed may still change", () => {
    const q = new LookAheadQueue();
    const lim = limits(500, 3000);
    let x = 0;
    const moves: Move[] = [];
    for (let i = 0; i < 10; i++) {
      const m = new Move(lim, [x, 0, 0, 0], [x + 1, 0, 0, 0], 100);
      x += 1;
      moves.push(m);
      q.addMove(m);
    }
    const out = q.flush(true);
    // The tail is still accelerating toward a stop that may never come
    expect(out.length).toBeLessThan(10);
    expect(q.length).toBe(10 - out.length);
    const rest = q.flush();
    expect(out.length + rest.length).toBe(10);
    let total = 0;
    for (const m of moves) total += plannedDistance(m);
    expect(total).toBeCloseTo(10, 9);
  });

  test("extrude-only moves use the E distance and keep X/Y/Z", () => {
    const m = new Move(limits(500, 3000), [1, 2, 3, 0], [1, 2, 3, 5], 20);
    expect(m.isKinematicMove).toBe(false);
    expect(m.moveD).toBe(5);
    expect(m.axesR[3]).toBe(1);
    expect(m.endPos.slice(0, 3)).toEqual([1, 2, 3]);
  });

  test("moveError formats the end point like Klipper", () => {
    const m = new Move(limits(500, 3000), [0, 0, 0, 0], [250, 1, 2.5, 0.1234], 20);
    expect(m.moveError().message).toBe("Move out of range: 250.000 1.000 2.500 [0.123]");
  });
});
