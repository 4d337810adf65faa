// A batch run (Klipper's "klippy.py printer.cfg -i input.gcode -o out.serial
// -d DICT"): build the printer from its config with MCUs that write to files,
// connect (config and init commands), run the g-code file, then exit the way
// klippy does at the end of its input (motors off, final dwell, all steps
// flushed). Deterministic: host time stands still, the MCU clock is print time.
import { PrinterConfig } from "../core/config/printer-config.ts";
import "../extras/modules.ts";
import { Printer } from "../core/printer.ts";
import type { Mcu, McuLogger } from "../mcu/mcu.ts";
import "../motion/modules.ts";
import { lookupMotionQueuing } from "../motion/toolhead-module.ts";
import { BatchGcodeFile } from "./gcode-file.ts";
import { openBatchMcu, type BatchMcuFiles } from "./mcu.ts";
import { NEVER, NOW } from "../core/reactor.ts";
import { BatchReactor } from "./reactor.ts";

export interface BatchOptions extends BatchMcuFiles {
  config: string;
  input: string;
  /** G-code responses and errors ("!! ..."); default: stderr. */
  respond?: (line: string) => void;
  log?: McuLogger;
  /** Called once the printer is ready, before the G-code runs (the end of start-up). */
  onStarted?: () => void;
}

export interface BatchResult {
  /** "exit" when the input ran to its end; "error_exit" after a config or G-code error or shutdown. */
  result: string;
  /** Why the run stopped early, if it did. */
  error: string | null;
  /** Print time when the exit sequence started (Klipper's "Exiting (print time ...)"). */
  printTime: number;
}

const quietLog: McuLogger = { info: () => {}, warn: (m) => console.error(m) };

export async function runBatch(opts: BatchOptions): Promise<BatchResult> {
  const out = opts.respond ?? ((l: string) => console.error(l));
  let input: BatchGcodeFile | null = null;
  let firstError: string | null = null;
  // Errors name the input line they came from
  const respond = (l: string) => {
    if (l.startsWith("!! ")) firstError ??= l.slice(3);
    if (input && l.startsWith("!! ") && input.lineNumber)
      out(`${l}\n!! (${opts.input}:${input.lineNumber}: ${input.lineText.trim()})`);
    else out(l);
  };
  const config = PrinterConfig.load(opts.config);
  const log = opts.log ?? quietLog;
  const printer = new Printer({
    config,
    // MCU sections write to files here instead of talking to a serial port
    openMcuLink: (options, _config, printer) => openBatchMcu(options, printer, opts, log),
    startArgs: { debuginput: opts.input, debugoutput: opts.output, dictionaries: opts.dicts },
  });
  printer.gcode.registerOutputHandler(respond);
  // Internal errors: show what went wrong (Klipper logs the exception)
  printer.registerEventHandler("klippy:analyze_shutdown", (msg: string, details: Record<string, unknown>) => {
    if (details?.error) respond(`${msg}\n${String(details.error)}`);
  });
  const reactor = new BatchReactor();
  printer.reactor = reactor;
  // Klipper reports the print time at which the exit sequence starts
  let exitPrintTime: number | null = null;
  printer.registerEventHandler("gcode:request_restart", (printTime: number) => {
    exitPrintTime ??= printTime;
  });
  let error: string | null = null;
  try {
    printer.readConfig();
  } catch (e) {
    error = (e as Error).message;
  }
  const mcus = printer.lookupObjects<Mcu>("mcu").map(([, m]) => m);
  try {
    if (error === null) {
      // Background flushing runs from the first loop turn on (as klippy's timer)
      const mq = lookupMotionQueuing(printer);
      const timer = reactor.registerTimer("flush", () => (mq.handleFlushTimer() ? NOW : NEVER), NEVER);
      mq.setFlushTimer({ kick: () => reactor.updateTimer(timer, NOW), cancel: () => reactor.updateTimer(timer, NEVER) });
      // The input must exist before the printer starts
      input = new BatchGcodeFile(opts.input, {
        processLine: (line) => printer.gcode.processLine(line, true),
        requestExit: () => exitAtEndOfInput(printer),
        stopRequested: () => printer.runResult === "error_exit",
        withMutex: (fn) => printer.gcode.mutex.run(fn),
        mutexWaits: () => printer.gcode.mutex.waits,
      }, reactor);
      await printer.start();
      opts.onStarted?.();
      const [state, category] = printer.getStateMessage();
      if (category !== "ready") error = state;
    }
    if (error === null && input) {
      await input.run(() => printer.isShutdown());
      if (printer.isShutdown()) error = printer.getStateMessage()[0];
      else if (printer.runResult === "error_exit") error = firstError ?? "G-code error";
    }
    printer.sendEvent("klippy:disconnect");
  } finally {
    input?.close();
    for (const m of mcus) await m.close();
  }
  const th = printer.lookupObject("toolhead", null);
  return { result: error === null ? "exit" : "error_exit", error, printTime: exitPrintTime ?? th?.printTime ?? 0 };
}

/** End of input: wait for every "gcode:debuginput_exit" handler, then exit like RESTART. */
async function exitAtEndOfInput(printer: Printer): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const ready = await printer.sendEventAsync("gcode:debuginput_exit");
    if (ready.every(Boolean)) break;
  }
  await printer.gcode.requestRestart("exit");
}
