// Deferrable timers: never early, never later than their slack, run early on a wake-up the process
// makes anyway, and due ones run together.
import { expect, test } from "bun:test";
import { housekeepingSlack, pendingDeferrables, runDueDeferrables, setDeferrableTimeout } from "../../src/util/deferrable-timers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("housekeeping slack is a quarter of the wait, at most 0.25 s, and none for now", () => {
  expect(housekeepingSlack(0)).toBe(0);
  expect(housekeepingSlack(-1)).toBe(0);
  expect(housekeepingSlack(0.2)).toBeCloseTo(0.05, 12);
  expect(housekeepingSlack(1)).toBe(0.25);
  expect(housekeepingSlack(60)).toBe(0.25);
});

test("left alone, a deferrable timer runs at its deadline: not before its time, not after the slack", async () => {
  const start = performance.now();
  const ran = await new Promise<number>((resolve) => setDeferrableTimeout(() => resolve(performance.now()), 0.03, 0.04));
  // nothing else woke the process: it ran at its deadline (70 ms), plus what the event loop adds
  expect(ran - start).toBeGreaterThanOrEqual(69);
  expect(ran - start).toBeLessThan(70 + 50);
  expect(pendingDeferrables()).toBe(0);
});

test("a wake-up after its time runs it early; one before its time does not", async () => {
  const runs: string[] = [];
  setDeferrableTimeout(() => runs.push("a"), 0.02, 1);
  runDueDeferrables();
  expect(runs).toEqual([]);
  await sleep(30);
  runDueDeferrables();
  expect(runs).toEqual(["a"]);
  expect(pendingDeferrables()).toBe(0);
});

test("at one timer's deadline every due one runs with it, in asked order; a cancelled one never runs", async () => {
  const runs: [string, number][] = [];
  const at = (name: string) => () => runs.push([name, performance.now()]);
  setDeferrableTimeout(at("late"), 0.03, 0.2);
  setDeferrableTimeout(at("early"), 0.01, 0.03);
  const cancelled = setDeferrableTimeout(at("cancelled"), 0.02, 0.03);
  cancelled.cancel();
  await sleep(120);
  // "early" has the first deadline (40 ms); "late" is due by then (30 ms) and shares the wake-up
  expect(runs.map(([n]) => n)).toEqual(["early", "late"]);
  expect(Math.abs(runs[1]![1] - runs[0]![1])).toBeLessThan(5);
  expect(pendingDeferrables()).toBe(0);
});

test("a callback can set the next one (a periodic chain)", async () => {
  let n = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      if (++n === 3) resolve();
      else setDeferrableTimeout(tick, 0.005, 0.005);
    };
    setDeferrableTimeout(tick, 0.005, 0.005);
  });
  expect(n).toBe(3);
  expect(pendingDeferrables()).toBe(0);
});
