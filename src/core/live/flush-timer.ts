// The motion queue's background flush on the live event loop: step generation and sending runs
// from a reactor timer that the motion queue kicks whenever new motion is queued.
//
// Interim: PrinterMotionQueuing only has the batch schedule (handleFlushTimer), which generates
// every queued step at once instead of trickling them out ahead of the MCU clock the way
// Klipper's live _flush_handler does; see /work/notes/live-needs.md item 1.
import type { PrinterMotionQueuing } from "../../motion/motion-queuing.ts";
import { type LiveReactor, NEVER, NOW } from "../reactor.ts";

export function attachFlushTimer(reactor: LiveReactor, mq: PrinterMotionQueuing): void {
  const timer = reactor.registerTimer("motion_queuing:flush", () => (mq.handleFlushTimer() ? NOW : NEVER), NEVER);
  mq.setFlushTimer({ kick: () => reactor.updateTimer(timer, NOW), cancel: () => reactor.updateTimer(timer, NEVER) });
}
