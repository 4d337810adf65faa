// A RequestQueue wired to a printer: the toolhead's look-ahead for G-code requests, the motion flush
// (attached at connect, when the toolhead exists), and the MCU's clock for immediate requests.
import { ConfigError } from "../../core/config/errors.ts";
import { hostTime } from "../../core/host-timers.ts";
import type { Printer } from "../../core/printer.ts";
import type { McuPort } from "../../core/mcu-pins/mcu-port.ts";
import { type ApplyRequest, MIN_SCHEDULE_TIME, RequestQueue } from "./request-queue.ts";

export function printerRequestQueue(printer: Printer, mcu: McuPort, apply: ApplyRequest): RequestQueue {
  const rq = new RequestQueue(
    () => printer.lookupObject("toolhead"),
    () => mcu.estimatedPrintTime(hostTime(printer) + MIN_SCHEDULE_TIME),
    apply,
  );
  printer.registerEventHandler("klippy:connect", () => {
    const motion = printer.lookupObject("motion_queuing", null) ?? printer.loadObject("motion_queuing", null);
    if (!motion) throw new ConfigError("Output pins need the motion queue, but there is no 'motion_queuing' printer object");
    rq.attach(motion);
  });
  return rq;
}
