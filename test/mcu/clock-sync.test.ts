// ClockSync against a scripted clock source (answers get_uptime/get_clock from a
// simulated MCU clock): restart detection by a clock jump, and the secondary mapping.
import { afterEach, describe, expect, test } from "bun:test";
import { ClockSync, type ClockSyncPort } from "../../src/mcu/clock-sync.ts";
import type { ResponseMessage } from "../../src/mcu/response-dispatch.ts";
import { monotonic } from "../../src/mcu/serial-queue.ts";

const FREQ = 48_000_000;
const syncs: ClockSync[] = [];
afterEach(() => {
  for (const s of syncs.splice(0)) s.stop();
});

/** An MCU clock that started `bootAt` (host seconds) and answers after ~0.2 ms. */
function scriptedMcu() {
  const mcu = { bootAt: monotonic() - 3 };
  const clock = (t: number) => Math.floor((t - mcu.bootAt) * FREQ);
  const answer = (name: string, params: Record<string, number>, sent: number): ResponseMessage => ({
    name,
    params,
    sentTime: sent,
    receiveTime: sent + 0.0004,
  });
  let onClock: ((m: ResponseMessage) => void) | null = null;
  const port: ClockSyncPort = {
    async query(line, response) {
      const t = monotonic();
      const c = clock(t + 0.0002);
      return line === "get_uptime" ? answer(response, { high: Math.floor(c / 2 ** 32), clock: c % 2 ** 32 }, t) : answer(response, { clock: c % 2 ** 32 }, t);
    },
    send() {
      const t = monotonic();
      const c = clock(t + 0.0002) % 2 ** 32;
      setTimeout(() => onClock?.(answer("clock", { clock: c }, t)), 1);
    },
    onResponse: (_name, cb) => (onClock = cb),
    setClockEstimate: () => {},
    now: monotonic,
  };
  return { mcu, port, clock };
}

describe("ClockSync", () => {
  test("tracks the MCU clock and reports a restart when the clock jumps back", async () => {
    const { mcu, port, clock } = scriptedMcu();
    const sync = new ClockSync(1);
    syncs.push(sync);
    const jumped = new Promise<{ expected: number; got: number }>((r) => (sync.onClockJump = r));
    await sync.start(port, FREQ);
    const now = monotonic();
    expect(Math.abs(sync.getClock(now) - clock(now)) / FREQ).toBeLessThan(0.0005);
    expect(sync.estimatedPrintTime(now)).toBeCloseTo(clock(now) / FREQ, 3);
    mcu.bootAt = monotonic(); // the MCU reboots: its clock starts over from 0
    const j = await jumped;
    expect(j.expected - j.got).toBeGreaterThan(2.5 * FREQ);
  });
});
