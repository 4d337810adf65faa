// Every config-section module of Stepline, loaded for its registerModule() side effects.
// The printer (and `stepline check-config`) import this one file, so a section is supported
// as soon as its module file is listed here. Each helper adds ONE import line for its module
// file(s) below; keep the list sorted by path. A module file looks like:
//
//   import { registerModule } from "../../core/printer.ts";   // (path relative to the module file)
//   registerModule("fan", (config, printer) => new PrinterFan(config, printer));
//   registerModule("heater_fan ", (config, printer) => new HeaterFan(config, printer)); // [heater_fan NAME]
//   registerModule("mcu", buildMcu, { stage: "mcu" });                                 // built before extras
//   registerModule("printer", buildToolhead, { stage: "toolhead" });                   // after extras
//   registerModule("gcode_move", build, { always: true });                            // built even without a section
import "./adxl345.ts";
import "./axis-twist-compensation.ts";
import "./bed-screws.ts";
import "./bed-tilt.ts";
import "./bltouch.ts";
import "./bmi160.ts";
import "./buttons.ts";
import "./digipots.ts";
import "./display/display.ts";
import "./endstop-phase.ts";
import "./filament-sensors.ts";
import "./firmware-retraction.ts";
import "./gcode-button.ts";
import "./homing-heaters.ts";
import "./icm20948.ts";
import "./leds.ts";
import "./lis2dw.ts";
import "./mpu9250.ts";
import "./pwm-cycle-time.ts";
import "./resonance/resonance-tester.ts";
import "./screws-tilt-adjust.ts";
import "./servo.ts";
import "./skew-correction.ts";
import "./static-digital-output.ts";
import "./sx1509.ts";
import "./tmc/drivers.ts";
import "./z-adjust.ts";
import "./fans/modules.ts";
import "./heaters/modules.ts";
import "./jobs/modules.ts";
import "./outputs/modules.ts";
import "../core/pins.ts";
import "./status/modules.ts";
import "../motion/modules.ts";
