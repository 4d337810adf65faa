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

/**
 * An MCU clock that started `bootAt` (host seconds) and answers after ~0.2 ms; `stall(n)` holds
 * query n (0: get_uptime, counting periodic ones too) up for that many seconds on its way to the
 * MCU, as a host that stops running between write and read does.
 */
function scriptedMcu(stall: (n: number) => number = () => 0) {
  const mcu = { bootAt: monotonic() - 3 };
  const clock = (t: number) => Math.floor((t - mcu.bootAt) * FREQ);
  const answer = (name: string, params: Record<string, number>, sent: number): ResponseMessage => ({
    name,
    params,
    sentTime: sent,
    receiveTime: sent + 0.0004,
  });
  let onClock: ((m: ResponseMessage) => void) | null = null;
  let queries = 0;
  const port: ClockSyncPort = {
    async query(line, response) {
      const t = monotonic();
      const held = stall(queries++);
      const c = clock(t + held + 0.0002);
      const params: Record<string, number> = line === "get_uptime" ? { high: Math.floor(c / 2 ** 32), clock: c % 2 ** 32 } : { clock: c % 2 ** 32 };
      await Bun.sleep(held * 1000);
      return { ...answer(response, params, t), receiveTime: t + held + 0.0004 };
    },
    send() {
      const t = monotonic();
      const held = stall(queries++);
      const c = clock(t + held + 0.0002) % 2 ** 32;
      setTimeout(() => onClock?.({ ...answer("clock", { clock: c }, t), receiveTime: t + held + 0.0004 }), held * 1000 + 1);
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

  test("a host that stalls for seconds is not taken for an MCU restart, during start-up or after", async () => {
    // get_uptime held up 0.3 s (start-up reads 10 ms apart), then a periodic get_clock 2.5 s (over the jump limit)
    const { port, clock } = scriptedMcu((n) => (n === 0 ? 0.3 : n === 14 ? 2.5 : 0));
    const sync = new ClockSync(1);
    syncs.push(sync);
    let jump: { expected: number; got: number } | null = null;
    sync.onClockJump = (j) => (jump = j);
    await sync.start(port, FREQ);
    const errorMs = () => (Math.abs(sync.getClock(monotonic()) - clock(monotonic())) / FREQ) * 1000;
    expect(errorMs()).toBeLessThan(0.5);
    await Bun.sleep(4000); // the settling queries, every 0.2 s, one of them stalled
    expect(jump).toBeNull();
    expect(errorMs()).toBeLessThan(0.5);
  });
});
