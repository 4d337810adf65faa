// Every config-section module of Stepline, loaded for its registerModule() side effects.
// The printer (and `stepline check-config`) import this one file, so a section is supported
// as soon as its module file is listed here. Each helper adds ONE import line for its module
// file(s) below; keep the list sorted by path. A module file looks like:
//
//   import { registerModule } from "../printer.ts";   // (path relative to the module file)
//   registerModule("fan", (config, printer) => new PrinterFan(config, printer));
//   registerModule("heater_fan ", (config, printer) => new HeaterFan(config, printer)); // [heater_fan NAME]
//   registerModule("mcu", buildMcu, { stage: "mcu" });                                 // built before extras
//   registerModule("printer", buildToolhead, { stage: "toolhead" });                   // after extras
//   registerModule("gcode_move", build, { always: true });                            // built even without a section
import "./extras/adxl345.ts";
import "./extras/axis-twist-compensation.ts";
import "./extras/bed-screws.ts";
import "./extras/bed-tilt.ts";
import "./extras/bltouch.ts";
import "./extras/bmi160.ts";
import "./extras/buttons.ts";
import "./extras/digipots.ts";
import "./extras/display/display.ts";
import "./extras/endstop-phase.ts";
import "./extras/filament-sensors.ts";
import "./extras/firmware-retraction.ts";
import "./extras/gcode-button.ts";
import "./extras/homing-heaters.ts";
import "./extras/icm20948.ts";
import "./extras/leds.ts";
import "./extras/lis2dw.ts";
import "./extras/mpu9250.ts";
import "./extras/pwm-cycle-time.ts";
import "./extras/resonance/resonance-tester.ts";
import "./extras/screws-tilt-adjust.ts";
import "./extras/servo.ts";
import "./extras/skew-correction.ts";
import "./extras/static-digital-output.ts";
import "./extras/sx1509.ts";
import "./extras/tmc/drivers.ts";
import "./extras/z-adjust.ts";
import "./fans/modules.ts";
import "./heaters/modules.ts";
import "./jobs/modules.ts";
import "./outputs/modules.ts";
import "./pins.ts";
import "./status/modules.ts";
import "../motion/modules.ts";
