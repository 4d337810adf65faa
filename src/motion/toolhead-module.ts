// The [printer] section and the motion modules around it, as printer objects
// (Klipper's toolhead.add_printer_objects): "motion_queuing", "toolhead" with
// its kinematics and extruders, the toolhead commands (G4, M400,
// SET_VELOCITY_LIMIT, M204), and the services steppers and rails are built
// with (pins, step synchronisers, endstops, stepper registration).
import type { ConfigSection } from "../core/config/section.ts";
import type { GCodeCommand } from "../core/gcode/command.ts";
import { type Printer, registerModule } from "../core/printer.ts";
import { addExtruders } from "./extruder-module.ts";
import { lookupMotionQueuing, lookupMotionReactor, motionServices, primaryMcu } from "./motion-services.ts";
import { loadKinematics, type Kinematics } from "./kinematics/index.ts";
import { PrinterMotionQueuing } from "./motion-queuing.ts";
import { ToolHead } from "./toolhead.ts";

export { lookupMotionQueuing, lookupMotionReactor, motionServices, primaryMcu };

declare module "../core/printer.ts" {
  interface PrinterObjects {
    toolhead: PrinterToolhead;
    motion_queuing: PrinterMotionQueuing;
  }
}

/** The toolhead printer object: the planner plus its kinematics. */
export class PrinterToolhead extends ToolHead {
  kinematics!: Kinematics;
  getKinematics(): Kinematics {
    return this.kinematics;
  }
}

/** [printer]: adds "toolhead" and the extruders; no object named "printer" (as in Klipper). */
function buildToolhead(config: ConfigSection, printer: Printer): void {
  const mcu = primaryMcu(printer);
  const mq = lookupMotionQueuing(printer);
  const opts = {
    maxVelocity: config.getFloat("max_velocity", undefined, { above: 0 }),
    maxAccel: config.getFloat("max_accel", undefined, { above: 0 }),
    minimumCruiseRatio: config.getFloat("minimum_cruise_ratio", 0.5, { below: 1, minval: 0 }),
    squareCornerVelocity: config.getFloat("square_corner_velocity", 5, { minval: 0 }),
  };
  const reactor = lookupMotionReactor(printer);
  const th = new PrinterToolhead(opts, mq, { estimatedPrintTime: (t) => mcu.estimatedPrintTime(t), isBatch: () => mcu.isBatch() },
    reactor, { sendEvent: (name, ...args) => void printer.sendEvent(name, ...args) });
  const kinName = config.get("kinematics");
  th.kinematics = loadKinematics(kinName, {
    toolhead: th,
    config,
    sections: printer.config,
    host: printer, // generic_cartesian registers commands and the dual_carriage object
    services: motionServices(printer),
  });
  th.setKinematics(th.kinematics);
  printer.registerEventHandler("klippy:shutdown", () => th.handleShutdown());
  printer.addObject("toolhead", th);
  registerToolheadCommands(printer, th);
  addExtruders(printer, th);
}

function registerToolheadCommands(printer: Printer, th: ToolHead): void {
  const gcode = printer.gcode;
  gcode.register("G4", (g: GCodeCommand) => th.dwell(g.getFloat("P", 0, { minval: 0 }) / 1000));
  gcode.register("M400", () => th.waitMoves());
  gcode.register(
    "SET_VELOCITY_LIMIT",
    (g: GCodeCommand) => {
      const maxVelocity = g.getFloat("VELOCITY", null, { above: 0 });
      const maxAccel = g.getFloat("ACCEL", null, { above: 0 });
      const scv = g.getFloat("SQUARE_CORNER_VELOCITY", null, { minval: 0 });
      const mcr = g.getFloat("MINIMUM_CRUISE_RATIO", null, { minval: 0, below: 1 });
      const [mv, ma, sc, mc] = th.setMaxVelocities(maxVelocity, maxAccel, scv, mcr);
      const msg =
        `max_velocity: ${mv.toFixed(6)}\nmax_accel: ${ma.toFixed(6)}\n` +
        `minimum_cruise_ratio: ${mc.toFixed(6)}\nsquare_corner_velocity: ${sc.toFixed(6)}`;
      if (maxVelocity === null && maxAccel === null && scv === null && mcr === null) g.respondInfo(msg, false);
    },
    { desc: "Set printer velocity limits" },
  );
  gcode.register("M204", (g: GCodeCommand) => {
    let accel = g.getFloat("S", null, { above: 0 });
    if (accel === null) {
      const p = g.getFloat("P", null, { above: 0 });
      const t = g.getFloat("T", null, { above: 0 });
      if (p === null || t === null) {
        g.respondInfo(`Invalid M204 command "${g.getCommandline()}"`);
        return;
      }
      accel = Math.min(p, t);
    }
    th.setMaxVelocities(null, accel, null, null);
  });
}

registerModule("motion_queuing", (_config, printer) => {
  const mcu = primaryMcu(printer);
  const mq = new PrinterMotionQueuing(!mcu.isBatch());
  mq.setClock({
    monotonic: () => lookupMotionReactor(printer).monotonic(),
    estimatedPrintTime: (t) => mcu.estimatedPrintTime(t),
    pause: (until) => lookupMotionReactor(printer).pause(until),
  });
  printer.registerEventHandler("klippy:shutdown", () => mq.handleShutdown());
  printer.addObject("motion_queuing", mq);
  return mq;
});
registerModule("printer", buildToolhead, { stage: "toolhead" });

