// The config-section modules of the jobs helper (imported once by src/extras/modules.ts):
// macros and print-job handling.
import "../macros/gcode-macro.ts";
import "./delayed-gcode.ts";
import "./display-status.ts";
import "./idle-timeout.ts";
import "./pause-resume.ts";
import "./print-stats.ts";
import "./respond.ts";
import "./save-variables.ts";
import "./virtual-sdcard.ts";
