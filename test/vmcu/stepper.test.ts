import { describe, expect, test } from "bun:test";
import { configure, connect, FREQ, shutdownReason } from "./setup.ts";
import { seededRandom } from "../../scripts/lib/random.ts";

const STEPPER = "config_stepper oid=0 step_pin=PA0 dir_pin=PA1 invert_step=0 step_pulse_ticks=100";

interface Move {
  interval: number;
  count: number;
  add: number;
  dir: number;
}

/** Klipper's documented step timing: step k of a move is at last + (k+1)·interval + add·k(k+1)/2. */
function expectedSteps(start: number, moves: Move[]): { times: number[]; position: number } {
  const times: number[] = [];
  let last = start;
  let position = 0;
  for (const m of moves) {
    for (let k = 0; k < m.count; k++) times.push(last + (k + 1) * m.interval + (m.add * k * (k + 1)) / 2);
    last = times.at(-1)!;
    position += m.dir ? m.count : -m.count;
  }
  return { times, position };
}

function run(moves: Move[], start: number, opts: { invertStep?: number } = {}) {
  const { mcu, host } = connect({ hardware: { recordStepTimes: true }, moveCount: 4096 });
  const stepper = STEPPER.replace("invert_step=0", `invert_step=${opts.invertStep ?? 0}`);
  configure(host, 1, [stepper]);
  host.send(`reset_step_clock oid=0 clock=${start}`);
  for (const m of moves) host.send(`set_next_step_dir oid=0 dir=${m.dir}`, `queue_step oid=0 interval=${m.interval} count=${m.count} add=${m.add}`);
  return { mcu, host };
}

function stepTimes(mcu: ReturnType<typeof connect>["mcu"]): number[] {
  return mcu.hardware.axisFor(mcu.firmware.parsedDictionary.enumValue("pin", "PA0")).stepTimes!;
}

describe("queue_step execution", () => {
  test("a short sequence steps at exactly the documented times and ends at the net position", () => {
    const moves = [
      { interval: 7200, count: 10, add: -200, dir: 1 },
      { interval: 5000, count: 4, add: 0, dir: 1 },
      { interval: 3000, count: 6, add: 150, dir: 0 },
    ];
    const start = FREQ / 10;
    const { mcu, host } = run(moves, start);
    mcu.advance(0.2);
    const want = expectedSteps(start, moves);
    expect(stepTimes(mcu)).toEqual(want.times);
    expect(mcu.position("PA0")).toBe(want.position);
    host.send("stepper_get_position oid=0");
    expect(host.last("stepper_position")!.params.pos).toBe(want.position);
    expect(host.messages("shutdown")).toEqual([]);
  });

  test("random move sequences (seeded) match the formula step for step", () => {
    const rnd = seededRandom(20261122);
    for (let trial = 0; trial < 5; trial++) {
      const moves: Move[] = [];
      for (let i = 0; i < 200; i++) {
        const count = 1 + Math.floor(rnd() * 60);
        const interval = 400 + Math.floor(rnd() * 20000);
        // keep every interval above two pulse widths so no step is pushed back
        const minAdd = Math.ceil((250 - interval) / Math.max(1, count - 1));
        const add = Math.max(minAdd, Math.floor(rnd() * 400) - 200);
        moves.push({ interval, count, add, dir: rnd() < 0.5 ? 1 : 0 });
      }
      const start = FREQ / 20;
      const { mcu } = run(moves, start);
      const want = expectedSteps(start, moves);
      mcu.advance((want.times.at(-1)! - start) / FREQ + 0.1);
      expect(stepTimes(mcu)).toEqual(want.times);
      expect(mcu.position("PA0")).toBe(want.position);
    }
  });

  test("step on both edges (invert_step=-1) takes one step per timer event", () => {
    const moves = [{ interval: 300, count: 50, add: 0, dir: 1 }];
    const { mcu } = run(moves, FREQ / 10, { invertStep: -1 });
    mcu.advance(0.2);
    expect(stepTimes(mcu)).toEqual(expectedSteps(FREQ / 10, moves).times);
  });

  test("steps closer than two pulse widths are pushed back, never lost", () => {
    const moves = [{ interval: 150, count: 20, add: 0, dir: 1 }];
    const { mcu } = run(moves, FREQ / 10);
    mcu.advance(0.2);
    const times = stepTimes(mcu);
    expect(times.length).toBe(20);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(200);
  });

  test("timing survives the 32-bit clock wrap", () => {
    const { mcu, host } = connect({ hardware: { recordStepTimes: true } });
    configure(host, 1, [STEPPER]);
    mcu.advance((2 ** 32 - FREQ / 100) / FREQ); // 10 ms before the wrap
    const start = (2 ** 32 - FREQ / 200) >>> 0;
    const moves = [{ interval: 36000, count: 40, add: 0, dir: 1 }];
    host.send(`reset_step_clock oid=0 clock=${start}`, "set_next_step_dir oid=0 dir=1", "queue_step oid=0 interval=36000 count=40 add=0");
    mcu.advance(0.1);
    expect(stepTimes(mcu)).toEqual(expectedSteps(start, moves).times);
    host.send("get_uptime");
    expect(host.last("uptime")!.params.high).toBe(1);
  });

  test("a move due in the past is 'Timer too close'", () => {
    const { mcu, host } = connect();
    configure(host, 1, [STEPPER]);
    mcu.advance(1);
    host.send(`reset_step_clock oid=0 clock=${FREQ / 2}`, "queue_step oid=0 interval=100 count=3 add=0");
    expect(shutdownReason(host)).toBe("Timer too close");
  });

  test("a next move starting far behind the current one is 'Stepper too far in past'", () => {
    const { mcu, host } = connect();
    configure(host, 1, [STEPPER]);
    host.send(`reset_step_clock oid=0 clock=${FREQ / 10}`, "queue_step oid=0 interval=1000 count=2 add=0", "queue_step oid=0 interval=4294000000 count=1 add=0");
    mcu.advance(0.2);
    expect(shutdownReason(host)).toBe("Stepper too far in past");
  });

  test("more queued moves than move nodes is 'Move queue overflow'", () => {
    const { host } = connect({ moveCount: 8 });
    configure(host, 1, [STEPPER]);
    host.send(`reset_step_clock oid=0 clock=${FREQ}`);
    // the first move is loaded into the idle stepper at once and frees its node
    for (let i = 0; i < 9; i++) host.send("queue_step oid=0 interval=1000 count=2 add=0");
    expect(host.messages("shutdown")).toEqual([]);
    host.send("queue_step oid=0 interval=1000 count=2 add=0");
    expect(shutdownReason(host)).toBe("Move queue overflow");
  });

  test("count=0 is 'Invalid count parameter'; reset_step_clock while stepping is refused", () => {
    const a = connect();
    configure(a.host, 1, [STEPPER]);
    a.host.send(`reset_step_clock oid=0 clock=${FREQ}`, "queue_step oid=0 interval=1000 count=0 add=0");
    expect(shutdownReason(a.host)).toBe("Invalid count parameter");
    const b = connect();
    configure(b.host, 1, [STEPPER]);
    b.host.send(`reset_step_clock oid=0 clock=${FREQ}`, "queue_step oid=0 interval=1000 count=5 add=0", `reset_step_clock oid=0 clock=${FREQ}`);
    expect(shutdownReason(b.host)).toBe("Can't reset time when stepper active");
  });

  test("a shutdown stops the stepper mid-move and drops its queue", () => {
    const { mcu, host } = connect();
    configure(host, 1, [STEPPER]);
    host.send(`reset_step_clock oid=0 clock=${FREQ / 10}`, "set_next_step_dir oid=0 dir=1", "queue_step oid=0 interval=72000 count=100 add=0");
    mcu.advance(0.1 + 0.0205); // 20 steps done (the 21st is at +21 ms)
    host.send("emergency_stop");
    mcu.advance(1);
    expect(mcu.position("PA0")).toBe(20);
  });
});
