// Shared helpers for the motion tests: expanding queue_step commands back
// into step clocks (as the MCU's stepper.c executes them), and a one-stepper rig.
import { TrapQ } from "../../src/motion/steps/trapq.ts";
import { StepCompress, type StepMessage } from "../../src/motion/steps/stepcompress.ts";
import type { StepperKinematics } from "../../src/motion/steps/itersolve.ts";
import { StepExecutor } from "../support/step-executor.ts";

export interface ExpandedSteps { clocks: number[]; dirs: number[]; }

/** Step clocks and (MCU pin) directions produced by a stepper's command stream. */
export function expandSteps(msgs: readonly StepMessage[]): ExpandedSteps {
  const ex = new StepExecutor();
  for (const m of msgs) {
    if (m.name === "set_next_step_dir") ex.setNextDir(m.params.dir!);
    else if (m.name === "reset_step_clock") ex.resetClock(m.params.clock!);
    else if (m.name === "queue_step") {
      let interval = m.params.interval!;
      const { count, add } = m.params as { count: number; add: number };
      // A lone far step is sent with its absolute clock as reqClock (its interval may wrap).
      if (count === 1 && m.reqClock > ex.last) interval = m.reqClock - ex.last;
      ex.queueStep(interval, count, add);
    }
  }
  return { clocks: ex.clocks, dirs: ex.dirs };
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
