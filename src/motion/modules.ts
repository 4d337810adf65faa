// The config-section modules of src/motion (imported by src/extras/modules.ts).
import "./toolhead-module.ts";
import "./extruder-module.ts";
import "./gcode-move.ts";
import "./homing.ts";
import "./homing-override.ts";
import "./homing-probe.ts";
import "./homing-safe-z.ts";
import "./probe-points.ts";
import "./exclude-object.ts";
import "./bed-mesh.ts";
import "./stepper-enable.ts";
import "./force-move.ts";
import "./arcs.ts";
import "./manual-stepper.ts";
import "./input-shaper.ts";
import "./motion-report.ts";
