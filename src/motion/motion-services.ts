// How motion modules reach the printer's motion services: the reactor, the main MCU, the
// motion_queuing object, and what steppers, rails and endstops are built with. Shared by the
// toolhead and extruder modules (and the extras that add steppers) without importing each other.
import type { ConfigSection } from "../core/config/section.ts";
import { type EndstopMcu, McuEndstop } from "../core/mcu-pins/mcu-endstop.ts";
import type { Printer } from "../core/printer.ts";
import type { MovequeueMcu, PrinterMotionQueuing } from "./motion-queuing.ts";
import type { RailServices } from "./rail.ts";
import type { McuStepper, StepperMcu } from "./stepper.ts";
import type { ToolheadReactor } from "./toolhead.ts";

/** The event loop the toolhead runs on: the reactor the run mode set. */
export function lookupMotionReactor(printer: Printer): ToolheadReactor {
  if (!printer.reactor) throw new Error("no event loop (printer.reactor) to run the toolhead on");
  return printer.reactor;
}

type McuLike = MovequeueMcu & StepperMcu & EndstopMcu & {
  estimatedPrintTime(hostTime: number): number;
};

export function primaryMcu(printer: Printer): McuLike {
  return printer.lookupObject<McuLike>("mcu");
}

export function lookupMotionQueuing(printer: Printer): PrinterMotionQueuing {
  return printer.loadObject("motion_queuing");
}

/** Services that build steppers, rails and endstops from config sections. */
export function motionServices(printer: Printer): RailServices<McuEndstop> {
  const mq = lookupMotionQueuing(printer);
  return {
    lookupPin(desc: string) {
      const p = printer.pins.lookupPin(desc, { canInvert: true });
      return { mcu: p.chip as unknown as StepperMcu, pin: p.pin, invert: !!p.invert };
    },
    allocateSyncEmitter: (mcu, name) => mq.allocateSyncemitter(mcu as unknown as MovequeueMcu, name),
    registerFlushCallback: (cb, canAddTrapq) => mq.registerFlushCallback(cb, canAddTrapq),
    unregisterFlushCallback: (cb) => mq.unregisterFlushCallback(cb),
    registerStepper(config: ConfigSection, stepper: McuStepper) {
      for (const name of ["stepper_enable", "force_move", "motion_report"]) {
        const m = printer.loadObject<{ registerStepper?(c: ConfigSection, s: McuStepper): void }>(name, null);
        m?.registerStepper?.(config, stepper);
      }
    },
    parseEndstopPin(desc: string) {
      const p = printer.pins.parsePin(desc, true, true);
      return { chipName: p.chipName, pin: p.pin, invert: p.invert, pullup: p.pullup };
    },
    setupEndstop(desc: string) {
      const p = printer.pins.lookupPin(desc, { canInvert: true, canPullup: true });
      // Pseudo-chips (probe:z_virtual_endstop) build their own endstop object
      if (typeof (p.chip as { createOid?: unknown }).createOid !== "function") return p.chip.setupPin("endstop", p) as McuEndstop;
      return new McuEndstop(p.chip as unknown as EndstopMcu, { pin: p.pin, pullup: p.pullup, invert: p.invert });
    },
    registerQueryEndstop(endstop, name) {
      printer.loadObject<{ registerEndstop?(e: McuEndstop, n: string): void }>("query_endstops", null)?.registerEndstop?.(endstop, name);
    },
    sendEvent: (name, ...args) => void printer.sendEvent(name, ...args),
  };
}
