// Status-only printer objects (imported by src/extras/modules.ts).
import "./query-endstops.ts";
import "./system-stats.ts";
