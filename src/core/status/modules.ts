// Status-only printer objects (imported by src/core/modules.ts).
import "./query-endstops.ts";
import "./system-stats.ts";
