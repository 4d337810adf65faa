// One stepper executing its commands as the MCU's stepper.c does (queue_step interval/count/add,
// set_next_step_dir, reset_step_clock): the clock of every step and the direction it was taken in.
export class StepExecutor {
  readonly clocks: number[] = [];
  readonly dirs: number[] = [];
  /** Clock of the last step (or of the last reset_step_clock). */
  last = 0;
  private dir = 0;

  setNextDir(dir: number): void {
    this.dir = dir;
  }

  resetClock(clock: number): void {
    this.last = clock;
  }

  queueStep(interval: number, count: number, add: number): void {
    for (let k = 0; k < count; k++) {
      this.last += interval;
      this.clocks.push(this.last);
      this.dirs.push(this.dir);
      interval += add;
    }
  }
}
