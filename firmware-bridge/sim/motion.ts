// Mechanics behind the stepper drivers: an axis position per step pin, moved by executed steps in
// the direction given by the dir pin, and endstop switches that close at a configured position.

export class Axis {
  /** Net steps taken; +1 per step while the dir pin is high (or low when invertDir). */
  position: number;
  /** Clock (absolute ticks) of every step, when recording was asked for. */
  readonly stepTimes: number[] | null;

  constructor(
    initialPosition: number,
    private readonly invertDir: boolean,
    record: boolean,
  ) {
    this.position = initialPosition;
    this.stepTimes = record ? [] : null;
  }

  step(dirLevel: number, clock: number): void {
    this.position += (dirLevel !== 0) !== this.invertDir ? 1 : -1;
    this.stepTimes?.push(clock);
  }
}

export interface EndstopSwitch {
  axis: Axis;
  side: "min" | "max";
  triggerAt: number; // axis position (steps) at which the switch closes
  triggeredLevel: 0 | 1; // pin level while closed
}

export function endstopLevel(e: EndstopSwitch): 0 | 1 {
  const closed = e.side === "min" ? e.axis.position <= e.triggerAt : e.axis.position >= e.triggerAt;
  return closed ? e.triggeredLevel : ((1 - e.triggeredLevel) as 0 | 1);
}
