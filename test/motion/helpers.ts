// Shared helpers for the motion tests: expanding queue_step commands back
// into step clocks (as the MCU's stepper.c executes them), and a one-stepper rig.
import { TrapQ } from "../../src/motion/trapq.ts";
import { StepCompress, type StepMessage } from "../../src/motion/stepcompress.ts";
import type { StepperKinematics } from "../../src/motion/itersolve.ts";

export interface ExpandedSteps { clocks: number[]; dirs: number[]; }

/** Step clocks and (MCU pin) directions produced by a stepper's command stream. */
export function expandSteps(msgs: readonly StepMessage[]): ExpandedSteps {
  const clocks: number[] = [], dirs: number[] = [];
  let last = 0, dir = 0;
  for (const m of msgs) {
    if (m.name === "set_next_step_dir") { dir = m.params.dir!; continue; }
    if (m.name === "reset_step_clock") { last = m.params.clock!; continue; }
    if (m.name !== "queue_step") continue;
    let interval = m.params.interval!;
    const { count, add } = m.params as { count: number; add: number };
    // A lone far step is sent with its absolute clock as reqClock (its interval may wrap).
    if (count === 1 && m.reqClock > last) interval = m.reqClock - last;
    for (let k = 0; k < count; k++) {
      last += interval;
      clocks.push(last);
      dirs.push(dir);
      interval += add;
    }
  }
  return { clocks, dirs };
}

/** A trapq, one stepper kinematics and its step compressor recording every command. */
export class Rig {
  readonly tq = new TrapQ();
  readonly msgs: StepMessage[] = [];
  readonly sc = new StepCompress({ push: (m) => this.msgs.push(m) });
  constructor(readonly sk: StepperKinematics, stepDist: number, readonly freq = 16e6, maxErrorTicks = Math.trunc(0.000025 * freq)) {
    this.sc.configure(1, maxErrorTicks);
    this.sc.setTime(0, freq);
    sk.setTrapQ(this.tq, stepDist);
  }
  /** Generate and flush everything up to `time`. */
  run(time: number): ExpandedSteps {
    this.tq.checkSentinels();
    this.sk.generateSteps(this.sc, time);
    this.sc.flush(Infinity);
    return expandSteps(this.msgs);
  }
}
