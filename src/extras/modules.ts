// Every config-section module of Stepline, loaded for its registerModule() side effects.
// The printer (and `stepline check-config`) import this one file, so a section is supported
// as soon as its module file is listed here. Each helper adds ONE import line for its module
// file(s) below; the import order is the registration order (always-built modules are built in it), so keep it. A module file looks like:
//
//   import { registerModule } from "../../core/printer.ts";   // (path relative to the module file)
//   registerModule("fan", (config, printer) => new PrinterFan(config, printer));
//   registerModule("heater_fan ", (config, printer) => new HeaterFan(config, printer)); // [heater_fan NAME]
//   registerModule("mcu", buildMcu, { stage: "mcu" });                                 // built before extras
//   registerModule("printer", buildToolhead, { stage: "toolhead" });                   // after extras
//   registerModule("gcode_move", build, { always: true });                            // built even without a section
import "./accelerometers/adxl345.ts";
import "./leveling/axis-twist-compensation.ts";
import "./leveling/bed-screws.ts";
import "./leveling/bed-tilt.ts";
import "./probes/bltouch.ts";
import "./accelerometers/bmi160.ts";
import "./inputs/buttons.ts";
import "./outputs/digipots.ts";
import "./display/display.ts";
import "./homing/endstop-phase.ts";
import "./inputs/filament-sensors.ts";
import "./moves/firmware-retraction.ts";
import "./inputs/gcode-button.ts";
import "./homing/homing-heaters.ts";
import "./accelerometers/icm20948.ts";
import "./outputs/leds.ts";
import "./accelerometers/lis2dw.ts";
import "./accelerometers/mpu9250.ts";
import "./outputs/pwm-cycle-time.ts";
import "./resonance/resonance-tester.ts";
import "./leveling/screws-tilt-adjust.ts";
import "./outputs/servo.ts";
import "./leveling/skew-correction.ts";
import "./outputs/static-digital-output.ts";
import "./outputs/sx1509.ts";
import "./tmc/drivers.ts";
import "./leveling/z-tilt-and-qgl.ts";
import "./fans/modules.ts";
import "./heaters/modules.ts";
import "./jobs/modules.ts";
import "./outputs/modules.ts";
import "../core/pins.ts";
import "./status/modules.ts";
import "../motion/modules.ts";
import "./homing/homing-override.ts";
import "./probes/probe.ts";
import "./homing/safe-z-home.ts";
import "./probes/probe-points.ts";
import "./jobs/exclude-object.ts";
import "./leveling/bed-mesh.ts";
import "./steppers/stepper-enable.ts";
import "./steppers/force-move.ts";
import "./moves/arcs.ts";
import "./steppers/manual-stepper.ts";
import "./resonance/input-shaper.ts";
import "./status/motion-report.ts";
