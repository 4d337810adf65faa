// The live reactor on Bun's event loop: timers never run early, run again when their callback
// asks, can be moved, replaced and cancelled; pauses and completions are awaitable.
import { afterEach, describe, expect, test } from "bun:test";
import { LiveReactor, NEVER, NOW } from "../../src/live/reactor.ts";

const reactors: LiveReactor[] = [];
afterEach(() => {
  for (const r of reactors.splice(0)) r.close();
});
function reactor(errors: string[] = []): LiveReactor {
  const r = new LiveReactor({ onTimerError: (name, e) => errors.push(`${name}: ${(e as Error).message}`) });
  reactors.push(r);
  return r;
}

describe("timers", () => {
  test("a periodic timer runs at (never before) each time it asks for, until NEVER", async () => {
    const r = reactor();
    const calls: [number, number][] = [];
    const start = r.monotonic();
    let wanted = start + 0.01;
    const done = r.completion<void>();
    r.registerTimer(
      "tick",
      (eventtime) => {
        calls.push([wanted, r.monotonic()]);
        expect(eventtime).toBeGreaterThanOrEqual(wanted);
        if (calls.length === 4) {
          done.complete();
          return NEVER;
        }
        wanted = eventtime + 0.005;
        return wanted;
      },
      wanted,
    );
    await done.wait();
    expect(calls.length).toBe(4);
    for (const [want, ran] of calls) expect(ran).toBeGreaterThanOrEqual(want);
    expect(r.activeTimers).toBe(0);
  });

  test("updateTimer moves a timer; unregisterTimer stops it; NOW runs at the next turn", async () => {
    const r = reactor();
    const ran: string[] = [];
    const late = r.registerTimer("late", () => {
      ran.push("late");
      return NEVER;
    }, r.monotonic() + 60);
    const gone = r.registerTimer("gone", () => {
      ran.push("gone");
      return NEVER;
    }, NOW);
    r.unregisterTimer(gone);
    const done = r.completion<void>();
    r.updateTimer(late, NOW);
    r.registerTimer("after", () => {
      done.complete();
      return NEVER;
    }, r.monotonic() + 0.01);
    await done.wait();
    expect(ran).toEqual(["late"]);
  });

  test("named one-shot timers (the toolhead's): replaced by name, cancelled, re-armed from inside", async () => {
    const r = reactor();
    const ran: string[] = [];
    r.setTimer("x", r.monotonic() + 0.01, () => ran.push("first"));
    r.setTimer("x", r.monotonic() + 0.01, () => ran.push("second"));
    r.setTimer("y", r.monotonic() + 0.01, () => ran.push("cancelled"));
    r.cancelTimer("y");
    let n = 0;
    const done = r.completion<void>();
    const again = () => {
      n++;
      if (n < 3) r.setTimer("z", r.monotonic() + 0.002, again);
      else done.complete();
    };
    r.setTimer("z", r.monotonic(), again);
    await done.wait();
    await r.pause(r.monotonic() + 0.02);
    expect(n).toBe(3);
    expect(ran).toEqual(["second"]);
    // Fired one-shot timers are forgotten (a fresh name per wait does not pile up)
    for (let i = 0; i < 50; i++) r.setTimer(`wait:${i}`, NOW, () => {});
    await r.pause(r.monotonic() + 0.01);
    expect(r.timerCount).toBe(0);
  });

  test("an async callback decides its next wake time when it finishes; updates meanwhile are ignored", async () => {
    const r = reactor();
    const runs: number[] = [];
    const finished = r.completion<void>();
    const t = r.registerTimer(
      "async",
      async (eventtime) => {
        runs.push(eventtime);
        r.updateTimer(t, NOW); // ignored: the callback's answer wins
        await r.pause(r.monotonic() + 0.005);
        if (runs.length === 1) return NOW;
        finished.complete();
        return NEVER;
      },
      NOW,
    );
    await finished.wait();
    await r.pause(r.monotonic() + 0.02);
    expect(runs.length).toBe(2);
    expect(r.activeTimers).toBe(0);
  });

  test("a throwing callback is reported and stops only that timer", async () => {
    const errors: string[] = [];
    const r = reactor(errors);
    r.registerTimer("bad", () => {
      throw new Error("boom");
    }, NOW);
    const done = r.completion<string>();
    r.registerTimer("good", () => {
      done.complete("ok");
      return NEVER;
    }, r.monotonic() + 0.01);
    expect(await done.wait()).toBe("ok");
    expect(errors).toEqual(["bad: boom"]);
  });

  test("close() stops every timer", async () => {
    const r = reactor();
    let ran = false;
    r.registerTimer("t", () => {
      ran = true;
      return NEVER;
    }, NOW);
    r.close();
    await new Promise((res) => setTimeout(res, 10));
    expect(ran).toBe(false);
    expect(r.activeTimers).toBe(0);
  });

  test("a deferrable timer runs on another timer's wake-up once due, never before, and on its own by its slack", async () => {
    const r = reactor();
    const start = r.monotonic();
    const runs: [string, number][] = [];
    const done = r.completion<void>();
    const record = (name: string) => (t: number) => {
      runs.push([name, t]);
      if (name === "housekeeping") done.complete();
      return NEVER;
    };
    // Alone: asked for 0.2 s ahead, slack 0.05 s: nothing else wakes the loop, it runs at its deadline
    r.registerTimer("alone", record("alone"), start + 0.2, { deferrable: true });
    // Asked for 0.4 s ahead (slack 0.1 s); a plain timer wakes the loop at 0.45 s and takes it along
    r.registerTimer("housekeeping", record("housekeeping"), start + 0.4, { deferrable: true });
    r.registerTimer("flush", record("flush"), start + 0.45);
    await done.wait();
    expect(runs.map(([n]) => n)).toEqual(["alone", "flush", "housekeeping"]);
    const [[, aloneAt], [, flushAt], [, houseAt]] = runs as [[string, number], [string, number], [string, number]];
    expect(aloneAt).toBeGreaterThanOrEqual(start + 0.249);
    expect(houseAt).toBeGreaterThanOrEqual(start + 0.45);
    expect(houseAt - flushAt).toBeLessThan(0.005);
  });
});

describe("waiting", () => {
  test("pause() resolves no earlier than its time", async () => {
    const r = reactor();
    for (const d of [0, 0.003, 0.011]) {
      const until = r.monotonic() + d;
      await r.pause(until);
      expect(r.monotonic()).toBeGreaterThanOrEqual(until);
    }
  });

  test("a completion delivers its value once; a wait with a deadline gives the default", async () => {
    const r = reactor();
    const c = r.completion<number>();
    expect(c.test()).toBe(false);
    const waiting = c.wait();
    r.registerCallback(() => c.complete(7));
    expect(await waiting).toBe(7);
    c.complete(8);
    expect(await c.wait()).toBe(7);
    expect(c.test()).toBe(true);
    const never = r.completion<number>();
    const until = r.monotonic() + 0.01;
    expect(await never.wait(until, -1)).toBe(-1);
    expect(r.monotonic()).toBeGreaterThanOrEqual(until);
  });
});
