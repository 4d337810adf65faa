// What the printer's log (logs/stepline.log, like klippy.log) records besides connecting and
// shutdowns: every G-code error with the line that caused it, and each print job's start, pause,
// resume, cancel, completion or failure.
import type { Printer } from "../core/printer.ts";
import type { PrintState } from "../extras/jobs/print-stats.ts";
import type { LiveLog } from "./log-file.ts";

/** The log line of a job state change, or null for changes not worth a line (back to standby). */
export function printStateLine(state: PrintState, previous: PrintState, filename: string, message: string): string | null {
  const file = filename || "(no file)";
  switch (state) {
    case "printing":
      return previous === "paused" ? `Print resumed: ${file}` : `Print started: ${file}`;
    case "paused":
      return `Print paused: ${file}`;
    case "complete":
      return `Print complete: ${file}`;
    case "cancelled":
      return `Print cancelled: ${file}`;
    case "error":
      return `Print failed: ${file}${message ? `: ${message}` : ""}`;
    case "standby":
      return null;
  }
}

/** Log G-code errors and job state changes of one printer instance. */
export function logPrinterEvents(printer: Printer, log: LiveLog): void {
  printer.registerEventHandler("gcode:command_error", (line?: string, message?: string) => {
    log.warn(`G-code error: ${line ?? "?"}: ${message ?? "?"}`);
  });
  printer.registerEventHandler("print_stats:state", (state: PrintState, previous: PrintState, filename: string, message: string) => {
    const line = printStateLine(state, previous, filename, message);
    if (line !== null) log.info(line);
  });
}
