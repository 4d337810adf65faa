// The motion queue's background work on the live event loop: the flush timer (step generation
// kept 0.45-0.7 s ahead of the MCU while moving, kicked whenever new motion is queued) and the
// once-a-second clock calibration of each MCU's step timing (Klipper's motion_queuing stats).
import type { PrinterMotionQueuing } from "../motion/motion-queuing.ts";
import { type LiveReactor, NEVER } from "./reactor.ts";

const CALIBRATE_PERIOD = 1.0;

export function attachMotionTimers(reactor: LiveReactor, mq: PrinterMotionQueuing, estimatedPrintTime: (hostTime: number) => number): void {
  const flush = reactor.registerTimer("motion_queuing:flush", (t) => mq.handleLiveFlushTimer(t, estimatedPrintTime(t)), NEVER);
  mq.setFlushTimer({ kick: () => reactor.updateTimer(flush, reactor.monotonic()), cancel: () => reactor.updateTimer(flush, NEVER) });
  reactor.registerTimer("motion_queuing:calibrate", (t) => {
    mq.calibrateClocks(t, estimatedPrintTime(t));
    return t + CALIBRATE_PERIOD;
  }, reactor.monotonic() + CALIBRATE_PERIOD, { deferrable: true });
}
