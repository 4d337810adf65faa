// motion_report: live position/velocity from the trapq history and the dump batches.
import { describe, expect, test } from "bun:test";
import { MotionReport, DumpTrapQ } from "../../src/extras/status/motion-report.ts";
import { TrapQ, NEVER_TIME } from "../../src/motion/steps/trapq.ts";

function report() {
  const toolhead = new TrapQ(), extruder = new TrapQ();
  let printTime = 0;
  const logs: string[] = [];
  const r = new MotionReport({
    toolheadTrapq: () => toolhead,
    extraAxisNames: () => ["extruder"],
    otherTrapqs: () => [["extruder", extruder]],
    estimatedPrintTime: () => printTime,
    dripStartTime: () => null,
    log: (m) => logs.push(m),
  });
  r.connect();
  return { r, toolhead, extruder, setTime: (t: number) => { printTime = t; }, logs };
}

describe("motion_report", () => {
  test("live position and velocity follow the executed (finalized) moves", () => {
    const { r, toolhead, extruder, setTime } = report();
    // 0.1 s accel to 100 mm/s along +x from x=10, then 0.5 s cruise
    toolhead.append(1.0, 0.1, 0.5, 0, 10, 20, 0.3, 1, 0, 0, 0, 100, 1000);
    extruder.append(1.0, 0, 0.6, 0, 2, 0, 0, 1, 0, 0, 1.5, 1.5, 0);
    toolhead.finalizeMoves(NEVER_TIME, 0);
    extruder.finalizeMoves(NEVER_TIME, 0);
    setTime(1.05);
    const s = r.getStatus(100);
    expect((s.live_position as number[])[0]).toBeCloseTo(10 + 0.5 * 1000 * 0.05 ** 2, 9);
    expect((s.live_position as number[]).slice(1, 3)).toEqual([20, 0.3]);
    expect((s.live_position as number[])[3]).toBeCloseTo(2 + 1.5 * 0.05, 9);
    expect(s.live_velocity).toBeCloseTo(50, 9);
    expect(s.live_extruder_velocity).toBe(1.5);
    expect(s.trapq).toEqual(["extruder", "toolhead"]);
    // within 250 ms of the last refresh the same snapshot is returned
    setTime(1.3);
    expect(r.getStatus(100.1)).toBe(s);
    const later = r.getStatus(100.3);
    expect(later.live_velocity).toBeCloseTo(100, 9);
  });

  test("trapq dump batches send each segment once", () => {
    const tq = new TrapQ();
    const d = new DumpTrapQ("toolhead", tq, () => null);
    tq.append(1.0, 0, 1.0, 0, 0, 0, 0, 1, 0, 0, 10, 10, 0);
    tq.finalizeMoves(NEVER_TIME, 0);
    const first = d.processBatch().data as unknown[][];
    expect(first.length).toBe(1);
    expect(first[0]!.slice(0, 4)).toEqual([1.0, 1.0, 10, 0]);
    expect(d.processBatch()).toEqual({});
    tq.append(3.0, 0, 1.0, 0, 10, 0, 0, 1, 0, 0, 5, 5, 0);
    tq.finalizeMoves(NEVER_TIME, 0);
    expect((d.processBatch().data as unknown[][]).map((m) => m[0])).toEqual([3.0]);
  });
});
