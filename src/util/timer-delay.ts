// setTimeout delays from a wait in seconds. Bun's timers count whole milliseconds and drop a fraction
// (a 2.7 ms timer fires after 2 ms), so a timer armed with the raw figure wakes early, finds nothing due
// and must be armed again: a second wake-up. Rounding up costs at most 1 ms of lateness (Klipper's reactor
// rounds its poll timeout up the same way).

/** Milliseconds to pass to setTimeout so that it fires no earlier than `seconds` from now. */
export function timerDelayMs(seconds: number): number {
  return seconds > 0 ? Math.ceil(seconds * 1000) : 0;
}
