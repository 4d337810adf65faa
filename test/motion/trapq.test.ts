// The trapezoid queue: segment layout, gap filling, history and position markers.
import { describe, expect, test } from "bun:test";
import { TrapQ, HEAD, TAIL, STRIDE, M_PRINT_TIME, M_MOVE_T, M_START_V, M_HALF_ACCEL, M_START_X, NEVER_TIME } from "../../src/motion/steps/trapq.ts";

function segments(tq: TrapQ): { pt: number; mt: number; sv: number; ha: number; x: number }[] {
  const out = [];
  for (let m = tq.first(); m !== TAIL; m = tq.next[m]!) {
    const b = m * STRIDE, d = tq.d;
    out.push({ pt: d[b + M_PRINT_TIME]!, mt: d[b + M_MOVE_T]!, sv: d[b + M_START_V]!, ha: d[b + M_HALF_ACCEL]!, x: d[b + M_START_X]! });
  }
  return out;
}

describe("TrapQ", () => {
  test("a trapezoid becomes accel, cruise and decel segments with continuous positions", () => {
    const tq = new TrapQ();
    // 0.1 s accel at 1000 mm/s^2 from 0 to 100 mm/s, 0.2 s cruise, 0.1 s decel
    tq.append(0.5, 0.1, 0.2, 0.1, 10, 0, 0, 1, 0, 0, 0, 100, 1000);
    const segs = segments(tq);
    const want = [[0.5, 0.1], [0.6, 0.2], [0.8, 0.1]];
    expect(segs.length).toBe(4); // the leading standstill, then the trapezoid
    segs.slice(1).forEach((s, i) => {
      expect(s.pt).toBeCloseTo(want[i]![0]!, 12);
      expect(s.mt).toBeCloseTo(want[i]![1]!, 12);
    });
    segs.shift();
    expect(segs[0]!.ha).toBe(500);
    expect(segs[2]!.ha).toBe(-500);
    expect(segs[1]!.x).toBeCloseTo(10 + 5, 12); // 0.5*a*t^2 = 5 mm
    expect(segs[2]!.x).toBeCloseTo(15 + 20, 12);
  });

  test("a gap before a move is filled with a standstill, the first one at most 1 s long", () => {
    const tq = new TrapQ();
    tq.append(5.0, 0, 1.0, 0, 3, 0, 0, 1, 0, 0, 2, 2, 0);
    tq.append(7.5, 0, 1.0, 0, 5, 0, 0, 1, 0, 0, 2, 2, 0);
    const segs = segments(tq);
    expect(segs.map((s) => [s.pt, s.mt, s.sv])).toEqual([[4.0, 1.0, 0], [5.0, 1.0, 2], [6.0, 1.5, 0], [7.5, 1.0, 2]]);
    expect(segs[0]!.x).toBe(3);
    expect(segs[2]!.x).toBe(5);
  });

  test("the tail sentinel holds the last position once checked", () => {
    const tq = new TrapQ();
    tq.append(1.0, 0, 2.0, 0, 1, 2, 3, 0.6, 0.8, 0, 5, 5, 0);
    tq.checkSentinels();
    const b = TAIL * STRIDE;
    expect(tq.d[b + M_PRINT_TIME]).toBe(3.0);
    expect(tq.coord(TAIL, 0, 123)).toBeCloseTo(1 + 6, 12);
    expect(tq.coord(TAIL, 1, 0)).toBeCloseTo(2 + 8, 12);
    expect(tq.d[HEAD * STRIDE + M_PRINT_TIME]).toBe(-1);
  });

  test("finalized moves go to history (standstills are dropped) and old history is freed", () => {
    const tq = new TrapQ();
    tq.append(2.0, 0, 1.0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0);
    tq.append(4.0, 0, 1.0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0);
    tq.finalizeMoves(3.5, 0);
    expect(segments(tq).map((s) => s.pt)).toEqual([3.0, 4.0]); // standstill 3..4 still queued
    expect(tq.extractOld(0, 10, 10).map((m) => m.printTime)).toEqual([4.0, 2.0]);
    tq.finalizeMoves(NEVER_TIME, 3.5);
    // history keeps the newest entry and anything ending after 3.5
    expect(tq.extractOld(0, 10, 10).map((m) => m.printTime)).toEqual([4.0]);
    expect(segments(tq)).toEqual([]);
  });

  test("setPosition cuts an interrupted move and records a marker", () => {
    const tq = new TrapQ();
    tq.append(1.0, 0, 2.0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0);
    tq.setPosition(2.0, 7, 8, 9);
    const hist = tq.extractOld(0, 10, 10);
    expect(hist.map((m) => [m.printTime, m.moveT])).toEqual([[2.0, 0], [1.0, 1.0]]);
    expect([hist[0]!.startX, hist[0]!.startY, hist[0]!.startZ]).toEqual([7, 8, 9]);
  });

  test("the segment pool grows and reuses freed entries", () => {
    const tq = new TrapQ(8);
    for (let i = 0; i < 1000; i++) tq.append(i / 128, 0, 1 / 128, 0, i, 0, 0, 1, 0, 0, 100, 100, 0);
    expect(segments(tq).length).toBe(1001); // + initial standstill
    tq.finalizeMoves(NEVER_TIME, NEVER_TIME);
    const cap = tq.next.length;
    for (let i = 0; i < 1000; i++) tq.append(20 + i / 128, 0, 1 / 128, 0, i, 0, 0, 1, 0, 0, 100, 100, 0);
    expect(tq.next.length).toBe(cap);
    expect(segments(tq)[5]!.x).toBe(4);
  });

  test("a move with a non-finite value is refused", () => {
    const tq = new TrapQ();
    expect(() => tq.append(1.0, 0, NaN, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0)).toThrow("non-finite value");
    expect(() => tq.append(1.0, 0, 1, 0, Infinity, 0, 0, 1, 0, 0, 1, 1, 0)).toThrow(RangeError);
    expect(segments(tq)).toEqual([]);
  });
});
