// The config-section modules of src/motion: [printer] (toolhead), [extruder], gcode_move and homing
// (imported by src/extras/modules.ts, which lists the motion extras right after them).
import "./toolhead-module.ts";
import "./extruder-module.ts";
import "./gcode-move.ts";
import "./homing.ts";
