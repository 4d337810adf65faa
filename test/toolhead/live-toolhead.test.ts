// Live-mode buffering of the toolhead and the live background flush, on a
// simulated clock: the host clock only advances when the toolhead waits, and
// the MCU's estimated print time equals host time.
import { describe, expect, test } from "bun:test";
import { NoneKinematics } from "../../src/motion/kinematics/none.ts";
import { PrinterMotionQueuing } from "../../src/motion/motion-queuing.ts";
import { BUFFER_TIME_HIGH, ToolHead, type ToolheadReactor } from "../../src/motion/toolhead.ts";

/** An event loop whose clock jumps to the end of every pause. */
class SimReactor implements ToolheadReactor {
  now = 100;
  pauses = 0;
  monotonic(): number {
    return this.now;
  }
  yieldNow(): void {}
  pause(until: number): Promise<void> {
    this.pauses++;
    this.now = Math.max(this.now, until);
    return Promise.resolve();
  }
  setTimer(): void {}
  cancelTimer(): void {}
}

function liveToolhead() {
  const reactor = new SimReactor();
  // print time = host time - 100 s
  const clock = { estimatedPrintTime: (t: number) => t - 100, isBatch: () => false };
  const mq = new PrinterMotionQueuing(true);
  mq.setClock({ monotonic: () => reactor.monotonic(), estimatedPrintTime: clock.estimatedPrintTime, pause: (u) => reactor.pause(u) });
  const th = new ToolHead({ maxVelocity: 500, maxAccel: 3000, minimumCruiseRatio: 0.5, squareCornerVelocity: 5 }, mq, clock, reactor,
    { sendEvent: () => {} });
  th.setKinematics(new NoneKinematics());
  return { reactor, mq, th, est: () => clock.estimatedPrintTime(reactor.now) };
}

describe("live toolhead", () => {
  test("moves wait while more than BUFFER_TIME_HIGH of motion is planned ahead of the MCU", async () => {
    const { th, reactor, est } = liveToolhead();
    let waited = 0;
    let maxAheadAfterMove = 0;
    for (let i = 1; i <= 20; i++) {
      // 100 mm at 100 mm/s back and forth: about one second each
      const r = th.move([i % 2 ? 100 : 0, 0, 0, 0], 100);
      if (r instanceof Promise) {
        waited++;
        await r;
      }
      maxAheadAfterMove = Math.max(maxAheadAfterMove, th.printTime - est());
    }
    expect(waited).toBeGreaterThan(10);
    expect(reactor.pauses).toBeGreaterThan(10);
    // After a move returns, the planned buffer is never much more than BUFFER_TIME_HIGH
    expect(maxAheadAfterMove).toBeLessThanOrEqual(BUFFER_TIME_HIGH + 1.1);
  });

  test("M400 waits until the MCU has reached the end of the moves", async () => {
    const { th, est } = liveToolhead();
    th.move([10, 0, 0, 0], 50);
    const w = th.waitMoves();
    expect(w).toBeInstanceOf(Promise);
    await w;
    expect(est()).toBeGreaterThan(th.printTime);
  });

  test("the live flush generates steps 0.45-0.7 s ahead while moving and sleeps when idle", async () => {
    const { th, mq, reactor, est } = liveToolhead();
    th.move([100, 0, 0, 0], 100);
    th.getLastMoveTime(); // plan it: about 1 s of motion
    expect(mq.needStepGenTime).toBeGreaterThan(1);
    let wake = mq.handleLiveFlushTimer(reactor.now, est());
    expect(mq.lastStepGenTime).toBeLessThanOrEqual(est() + 0.7 + 1e-9);
    expect(mq.lastStepGenTime).toBeGreaterThan(est());
    let guard = 0;
    while (wake !== Infinity && guard++ < 100) {
      reactor.now = Math.max(reactor.now, wake);
      wake = mq.handleLiveFlushTimer(reactor.now, est());
      expect(mq.lastStepGenTime).toBeLessThanOrEqual(Math.max(est() + 0.7, mq.needStepGenTime) + 1e-9);
    }
    expect(wake).toBe(Infinity);
    expect(mq.lastStepGenTime).toBeGreaterThanOrEqual(mq.needStepGenTime);
  });
});
