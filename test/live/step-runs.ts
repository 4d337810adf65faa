// Step streams reduced to what the path decides: per stepper (by oid), the number of steps taken
// in one direction before it reverses. Timing (lookahead flush points, clock) does not change it,
// so a live print and a batch run of the same moves must give the same runs.
export interface StepCommand {
  name: string;
  params: Record<string, unknown>;
}

/**
 * Signed step counts between direction changes, per stepper oid. Commands before index
 * `countFrom` only set the direction state (a live log from power-on, the print starts later).
 */
export function stepRuns(commands: readonly StepCommand[], countFrom = 0): Map<number, number[]> {
  const dir = new Map<number, number>();
  const runs = new Map<number, number[]>();
  for (const [i, c] of commands.entries()) {
    if (c.name === "config_stepper") {
      runs.set(Number(c.params.oid), []);
      dir.set(Number(c.params.oid), 0);
    } else if (c.name === "set_next_step_dir") {
      dir.set(Number(c.params.oid), Number(c.params.dir));
    } else if (c.name === "queue_step" && i >= countFrom) {
      const oid = Number(c.params.oid);
      const count = Number(c.params.count);
      const list = runs.get(oid) ?? [];
      runs.set(oid, list);
      const signed = dir.get(oid) ? count : -count;
      const last = list.length - 1;
      if (last >= 0 && Math.sign(list[last]!) === Math.sign(signed)) list[last]! += signed;
      else if (signed) list.push(signed);
    }
  }
  return runs;
}
