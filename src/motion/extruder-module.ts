// Printer objects for extruders: [extruder], [extruderN] (built with the
// toolhead, as Klipper does) and [extruder_stepper NAME], with their commands
// (ACTIVATE_EXTRUDER, SET_PRESSURE_ADVANCE, SET_EXTRUDER_ROTATION_DISTANCE,
// SYNC_EXTRUDER_MOTION).
import type { ConfigSection } from "../core/config/section.ts";
import type { GCodeCommand } from "../core/gcode/command.ts";
import { type Printer, registerModule } from "../core/printer.ts";
import { CommandError, ExtruderStepper, PrinterExtruder } from "./extruder.ts";
import { ExtruderStepperKinematics } from "./steps/stepper-kinematics/extruder.ts";
import { printerStepper } from "./stepper.ts";
import { lookupMotionQueuing, motionServices } from "./motion-services.ts";
import type { PrinterToolhead } from "./toolhead-module.ts";

/** A stepper of an extruder section, with its smoothed pressure advance kinematics. */
function buildExtruderStepper(config: ConfigSection, printer: Printer, toolhead: PrinterToolhead): ExtruderStepper {
  const name = config.getName().split(/\s+/).pop()!;
  const pa = config.getFloat("pressure_advance", 0, { minval: 0 });
  const smoothTime = config.getFloat("pressure_advance_smooth_time", 0.04, { above: 0, maxval: 0.2 });
  const stepper = printerStepper(config, motionServices(printer));
  const sk = new ExtruderStepperKinematics();
  stepper.setStepperKinematics(sk);
  const mq = lookupMotionQueuing(printer);
  const es = new ExtruderStepper(name, stepper, sk, pa, smoothTime, toolhead, () => mq.checkStepGenerationScanWindows());
  printer.registerEventHandler("klippy:connect", () => es.handleConnect());
  registerStepperCommands(printer, es);
  return es;
}

/** SET_PRESSURE_ADVANCE handler of each extruder stepper (for the EXTRUDER-less form). */
const paHandlers = new WeakMap<ExtruderStepper, (g: GCodeCommand) => void>();

function registerStepperCommands(printer: Printer, es: ExtruderStepper): void {
  const gcode = printer.gcode;
  const toolhead = () => printer.lookupObject("toolhead");
  const setPa = (g: GCodeCommand) => {
    const pa = g.getFloat("ADVANCE", es.pressureAdvance, { minval: 0 });
    const st = g.getFloat("SMOOTH_TIME", es.smoothTime, { minval: 0, maxval: 0.2 });
    es.setPressureAdvance(pa, st);
    g.respondInfo(`pressure_advance: ${pa.toFixed(6)}\npressure_advance_smooth_time: ${st.toFixed(6)}`, false);
  };
  if (es.name === "extruder") {
    // SET_PRESSURE_ADVANCE without EXTRUDER= acts on the active extruder's stepper
    gcode.registerMux("SET_PRESSURE_ADVANCE", "EXTRUDER", null, (g) => {
      const active = toolhead().getExtruder() as PrinterExtruder;
      const stepper = active.extruderStepper;
      if (!stepper) throw g.error("Active extruder does not have a stepper");
      if (stepper.motor.getTrapq() !== active.getTrapq()) throw g.error("Unable to infer active extruder stepper");
      paHandlers.get(stepper)!(g);
    }, "Set pressure advance parameters");
  }
  paHandlers.set(es, setPa);
  gcode.registerMux("SET_PRESSURE_ADVANCE", "EXTRUDER", es.name, setPa, "Set pressure advance parameters");
  gcode.registerMux("SET_EXTRUDER_ROTATION_DISTANCE", "EXTRUDER", es.name, (g) => {
    const dist = wrap(g, () => es.setRotationDistance(g.getFloat("DISTANCE", null)));
    g.respondInfo(`Extruder '${es.name}' rotation distance set to ${dist.toFixed(6)}`);
  }, "Set extruder rotation distance");
  gcode.registerMux("SYNC_EXTRUDER_MOTION", "EXTRUDER", es.name, (g) => {
    const ename = g.get("MOTION_QUEUE");
    syncTo(printer, es, ename, g);
    g.respondInfo(`Extruder '${es.name}' now syncing with '${ename}'`);
  }, "Set extruder stepper motion queue");
}

function wrap<T>(g: GCodeCommand, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof CommandError) throw g.error(e.message);
    throw e;
  }
}

function syncTo(printer: Printer, es: ExtruderStepper, extruderName: string, g?: GCodeCommand): void {
  if (!extruderName) {
    es.syncToExtruder(null);
    return;
  }
  const extruder = printer.lookupObject<unknown>(extruderName, null);
  if (!(extruder instanceof PrinterExtruder)) {
    const msg = `'${extruderName}' is not a valid extruder.`;
    throw g ? g.error(msg) : new CommandError(msg);
  }
  es.syncToExtruder(extruder);
}

/** [extruder] and [extruder1] .. [extruder98], built after the toolhead. */
export function addExtruders(printer: Printer, toolhead: PrinterToolhead): void {
  for (let i = 0; i < 99; i++) {
    const section = i ? `extruder${i}` : "extruder";
    if (!printer.config.hasSection(section)) break;
    const config = printer.config.getSection(section);
    const heaters = printer.loadObject("heaters");
    const heater = heaters.setupHeater(config, `T${i}`);
    const nozzleDiameter = config.getFloat("nozzle_diameter", undefined, { above: 0 });
    const filamentDiameter = config.getFloat("filament_diameter", undefined, { minval: nozzleDiameter });
    const opts = {
      name: section,
      nozzleDiameter,
      filamentDiameter,
      // Klipper reads it with its default, so configfile.settings shows the value in force
      maxExtrudeCrossSection: config.getFloat("max_extrude_cross_section", 4 * nozzleDiameter ** 2, { above: 0 }),
      maxExtrudeOnlyVelocity: null as number | null,
      maxExtrudeOnlyAccel: null as number | null,
      maxExtrudeOnlyDistance: 0,
      instantaneousCornerVelocity: 0,
    };
    // Defaults depend on the filament geometry (read in Klipper's order)
    const area = Math.PI * (filamentDiameter * 0.5) ** 2;
    const defRatio = (4 * nozzleDiameter ** 2) / area;
    opts.maxExtrudeOnlyVelocity = config.getFloat("max_extrude_only_velocity", toolhead.maxVelocity * defRatio, { above: 0 });
    opts.maxExtrudeOnlyAccel = config.getFloat("max_extrude_only_accel", toolhead.maxAccel * defRatio, { above: 0 });
    opts.maxExtrudeOnlyDistance = config.getFloat("max_extrude_only_distance", 50, { minval: 0 });
    opts.instantaneousCornerVelocity = config.getFloat("instantaneous_corner_velocity", 1, { minval: 0 });
    const trapq = lookupMotionQueuing(printer).allocateTrapq();
    const extruder = new PrinterExtruder(opts, toolhead, trapq, heater);
    if (config.get("step_pin", null) !== null || config.get("dir_pin", null) !== null || config.get("rotation_distance", null) !== null) {
      extruder.extruderStepper = buildExtruderStepper(config, printer, toolhead);
      extruder.extruderStepper.motor.setTrapq(trapq);
    }
    printer.addObject(section, extruder);
    if (section === "extruder") toolhead.setExtruder(extruder, 0);
    printer.gcode.registerMux("ACTIVATE_EXTRUDER", "EXTRUDER", section, (g) => {
      if (toolhead.getExtruder() === extruder) {
        g.respondInfo(`Extruder ${section} already active`);
        return;
      }
      g.respondInfo(`Activating extruder ${section}`);
      toolhead.flushStepGeneration();
      toolhead.setExtruder(extruder, extruder.lastPosition);
      printer.sendEvent("extruder:activate_extruder");
    }, "Change the active extruder");
  }
}

registerModule("extruder_stepper ", (config, printer) => {
  const toolhead = () => printer.lookupObject("toolhead");
  const lazyToolhead = {
    flushStepGeneration: () => toolhead().flushStepGeneration(),
    registerLookaheadCallback: (cb: (pt: number) => void) => toolhead().registerLookaheadCallback(cb),
  };
  const es = buildExtruderStepper(config, printer, lazyToolhead as unknown as PrinterToolhead);
  const extruderName = config.get("extruder");
  printer.registerEventHandler("klippy:connect", () => syncTo(printer, es, extruderName));
  return es;
});
