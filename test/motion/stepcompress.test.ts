// Step compression: commands reproduce every step within max_stepper_error, respect the
// MCU field limits and direction changes, and handle far steps and long runs.
import { SHARED_REFERENCE } from "../support/reference.ts";
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { StepCompress, CLOCK_DIFF_MAX, type StepMessage } from "../../src/motion/steps/stepcompress.ts";
import { expandSteps } from "./helpers.ts";
import { seededRandom } from "../../scripts/lib/random.ts";
import { StepExecutor } from "../support/step-executor.ts";

const FREQ = 16e6;
const MAX_ERR = 400; // 25 us at 16 MHz

function compressor(maxErr = MAX_ERR, invert = false) {
  const msgs: StepMessage[] = [];
  const sc = new StepCompress({ push: (m) => msgs.push(m) });
  sc.configure(3, maxErr);
  sc.setInvertSdir(invert);
  sc.setTime(0, FREQ);
  return { sc, msgs };
}

/** Feed exact step clocks (the +0.25 tick keeps float rounding from changing the clock). */
function feed(sc: StepCompress, steps: readonly [number, number][]): void {
  for (const [dir, clock] of steps) sc.append(dir, 0, (clock + 0.25) / FREQ);
  sc.flush(Infinity);
}

/** Every expanded step lies in its window [clock - min(maxErr, gap/2), clock]. */
function expectWithinError(input: readonly [number, number][], msgs: StepMessage[], maxErr = MAX_ERR, invert = false) {
  const out = expandSteps(msgs);
  expect(out.clocks.length).toBe(input.length);
  let prev = 0, bad = 0;
  for (let i = 0; i < input.length; i++) {
    const [dir, c] = input[i]!;
    const win = Math.min(maxErr, Math.floor((c - prev) / 2));
    const got = out.clocks[i]!;
    if (got > c || got < c - win || out.dirs[i] !== (dir ^ (invert ? 1 : 0))) bad++;
    prev = c;
  }
  expect(bad).toBe(0);
  for (const m of msgs) {
    if (m.name !== "queue_step") continue;
    expect(m.params.count).toBeGreaterThanOrEqual(1);
    expect(m.params.count).toBeLessThanOrEqual(65535);
    expect(m.params.add).toBeGreaterThanOrEqual(-0x8000);
    expect(m.params.add).toBeLessThanOrEqual(0x7fff);
    expect(m.params.interval).toBeLessThan(2 ** 32);
  }
}

describe("StepCompress", () => {
  test("evenly spaced steps compress into constant-interval commands", () => {
    const { sc, msgs } = compressor();
    const steps: [number, number][] = [];
    for (let k = 1; k <= 1000; k++) steps.push([1, 1000 + k * 4000]);
    feed(sc, steps);
    expectWithinError(steps, msgs);
    const qs = msgs.filter((m) => m.name === "queue_step");
    // the uneven first gap takes one short command, the rest is a single constant run
    expect(qs.length).toBe(2);
    expect(qs[1]!.params).toEqual({ oid: 3, interval: 4000, count: 1000 - qs[0]!.params.count!, add: 0 });
    expect(msgs[0]).toMatchObject({ name: "set_next_step_dir", params: { oid: 3, dir: 1 }, minClock: 0, reqClock: 0 });
  });

  test("constant acceleration uses 'add'", () => {
    const { sc, msgs } = compressor();
    const steps: [number, number][] = [];
    // position 0.5*a*t^2 crosses k-0.5 steps: t = sqrt(2(k-0.5)/a)
    for (let k = 1; k <= 2000; k++) steps.push([1, Math.round(FREQ * (0.1 + Math.sqrt(2 * (k - 0.5) / 80000)))]);
    feed(sc, steps);
    expectWithinError(steps, msgs);
    const qs = msgs.filter((m) => m.name === "queue_step");
    expect(qs.some((m) => m.params.add! < 0)).toBe(true);
    expect(qs.length).toBeLessThan(60);
  });

  test("a direction change flushes and emits set_next_step_dir (inverted dir pin flips it)", () => {
    const { sc, msgs } = compressor(MAX_ERR, true);
    const steps: [number, number][] = [[1, 10000], [1, 20000], [1, 30000], [0, 60000], [0, 70000]];
    feed(sc, steps);
    expectWithinError(steps, msgs, MAX_ERR, true);
    expect(msgs.map((m) => m.name === "set_next_step_dir" ? `dir=${m.params.dir}` : `n=${m.params.count}`))
      .toEqual(["dir=0", "n=3", "dir=1", "n=2"]);
    const dirMsg = msgs[2]!;
    expect(dirMsg.reqClock).toBe(30000);
    expect(dirMsg.minClock).toBe(0);
  });

  test("step+dir+step within 750 us is rolled back", () => {
    const { sc, msgs } = compressor();
    sc.append(1, 0, (10000 + .25) / FREQ);
    sc.append(1, 0, (20000 + .25) / FREQ);
    sc.append(0, 0, (25000 + .25) / FREQ); // 312 us after: drops the step at 20000
    sc.append(0, 0, (60000 + .25) / FREQ);
    sc.flush(Infinity);
    const out = expandSteps(msgs);
    expect(out.clocks).toEqual([10000, 60000]);
    expect(out.dirs).toEqual([1, 0]);
  });

  test("a step far in the future is sent alone with its absolute clock as reqClock", () => {
    const { sc, msgs } = compressor();
    const far = 20000 + CLOCK_DIFF_MAX + 5;
    const steps: [number, number][] = [[1, 10000], [1, 20000], [1, far], [1, far + 3000]];
    feed(sc, steps);
    const qs = msgs.filter((m) => m.name === "queue_step");
    const farMsg = qs.find((m) => m.reqClock === far)!;
    expect(farMsg.params.count).toBe(1);
    expect(farMsg.params.interval).toBe(far - 20000);
    expect(expandSteps(msgs).clocks).toEqual([10000, 20000, far, far + 3000]);
  });

  test("random step sequences stay within the error bound (fixed seed)", () => {
    const r = seededRandom(12345);
    for (let trial = 0; trial < 20; trial++) {
      const { sc, msgs } = compressor();
      const steps: [number, number][] = [];
      let clock = 1000, dir = 1, interval = 2000 + r() * 50000, accel = 0;
      for (let i = 0; i < 3000; i++) {
        if (r() < 0.01) { dir ^= 1; clock += 13000; } // direction change after >750 us
        if (r() < 0.05) accel = (r() - 0.5) * 0.02;
        interval = Math.min(200000, Math.max(40, interval * (1 + accel) + (r() - 0.5) * 20));
        clock += Math.round(interval);
        steps.push([dir, clock]);
      }
      feed(sc, steps);
      expectWithinError(steps, msgs);
    }
  });

  test("runs longer than 64K steps are split and still exact", () => {
    const { sc, msgs } = compressor();
    const steps: [number, number][] = [];
    for (let k = 1; k <= 150000; k++) steps.push([0, k * 100]);
    feed(sc, steps);
    expectWithinError(steps, msgs);
    expect(Math.max(...msgs.filter((m) => m.name === "queue_step").map((m) => m.params.count!))).toBe(65535);
  });

  test("findPastPosition follows the sent commands", () => {
    const { sc } = compressor();
    const steps: [number, number][] = [];
    for (let k = 1; k <= 100; k++) steps.push([1, k * 1000]);
    for (let k = 1; k <= 30; k++) steps.push([0, 200000 + k * 1000]);
    feed(sc, steps);
    expect(sc.findPastPosition(500)).toBe(0);
    expect(sc.findPastPosition(50500)).toBe(50);
    expect(sc.findPastPosition(100000)).toBe(100);
    expect(sc.findPastPosition(210000)).toBe(90);
    expect(sc.findPastPosition(10 ** 9)).toBe(70);
    sc.setLastPosition(10 ** 9, 5);
    expect(sc.findPastPosition(10 ** 9 + 1)).toBe(5);
    expect(sc.findPastPosition(50500)).toBe(50);
  });

});

/** Step clocks and pin directions of one oid from a reference parsedump. */
function referenceSteps(path: string, oid: number): [number, number][] {
  const text = path.endsWith(".gz") ? gunzipSync(readFileSync(path)).toString() : readFileSync(path, "utf8");
  const ex = new StepExecutor();
  const re = new RegExp(`^(queue_step|set_next_step_dir) oid=${oid} (.*)$`);
  for (const line of text.split("\n")) {
    const m = re.exec(line);
    if (!m) continue;
    const p = Object.fromEntries(m[2]!.split(" ").map((kv) => kv.split("=")).map(([k, v]) => [k, Number(v)]));
    if (m[1] === "set_next_step_dir") ex.setNextDir(p.dir!);
    else ex.queueStep(p.interval!, p.count!, p.add!);
  }
  return ex.clocks.map((c, i) => [ex.dirs[i]!, c]);
}

describe("StepCompress on Klipper's reference step streams", () => {
  const REF = `${SHARED_REFERENCE}/klipper/cases`;
  for (const [name, oid] of [["tk_move_cartesian", 2], ["tk_move_cartesian", 9], ["tk_pressure_advance", 9], ["tk_delta", 2]] as const) {
    test(`${name} oid ${oid}: recompressing the executed steps keeps every step in its window`, () => {
      const steps = referenceSteps(`${REF}/${name}/parsedump.txt`, oid);
      expect(steps.length).toBeGreaterThan(100);
      const { sc, msgs } = compressor();
      feed(sc, steps);
      expectWithinError(steps, msgs);
    });
  }
});
