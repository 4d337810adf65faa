// `stepline` / `stepline run [--config printer.cfg] [--data DIR]`: run the printer host until
// SIGINT/SIGTERM. Without --config it runs the built-in virtual printer (its MCU is the in-process
// virtual MCU from firmware-bridge/); with --config it connects to the MCUs the config names
// (`[mcu] serial: /dev/serial/by-id/...`, `baud:`, or a pty path).
import { DEFAULT_GCODE_PTY, GCodePty } from "../core/gcode-pty.ts";
import { startLivePrinter, type LivePrinter } from "../core/live/live-printer.ts";
import { argsOrUsageError, type OptionSpecs, parseArgs, wantsHelp } from "./args.ts";
import { untilSignal } from "./signals.ts";

const USAGE = `usage: stepline run [--config printer.cfg] [--data DIR] [--gcode-pty PATH|none]
  --config FILE   printer.cfg naming the MCUs ([mcu] serial: /dev/serial/by-id/..., baud: 250000);
                  without it, the built-in virtual printer
  --data DIR      data folder (config/, gcodes/, logs/); default ~/printer_data
  --gcode-pty P   G-code terminal for OctoPrint or a serial console (a pty);
                  default ${DEFAULT_GCODE_PTY}, "none" for no terminal`;

const OPTIONS = {
  config: { names: ["--config", "-c"] },
  data: { names: ["--data", "-d"] },
  gcodePty: { names: ["--gcode-pty", "-I"] },
} satisfies OptionSpecs;

export async function run(args: string[]): Promise<number> {
  if (wantsHelp(args)) {
    console.log(USAGE);
    return 0;
  }
  const opts = argsOrUsageError("run", USAGE, () => parseArgs(args, OPTIONS));
  if (opts === null) return 2;
  const parsed = { config: opts.get("config"), data: opts.get("data"), gcodePty: opts.get("gcodePty") };
  const stopRequested = untilSignal();
  console.log(parsed.config ? `stepline: starting the printer from ${parsed.config}` : "stepline: starting the built-in virtual printer");
  let printer: LivePrinter;
  try {
    printer = await startLivePrinter({ configPath: parsed.config, dataDir: parsed.data, logFile: true });
  } catch (e) {
    console.error(`stepline run: ${(e as Error).message}`);
    return 1;
  }
  // A bug that escapes every handler must not leave heaters running: shut down, keep serving
  const onHostException = (e: unknown) => printer.handleHostException(e);
  process.on("uncaughtException", onHostException);
  process.on("unhandledRejection", onHostException);
  const ptyPath = parsed.gcodePty ?? DEFAULT_GCODE_PTY;
  let pty: GCodePty | null = null;
  if (ptyPath !== "none") {
    const candidate = new GCodePty(printer, { path: ptyPath, log: (l) => console.log(l) });
    try {
      await candidate.start();
      pty = candidate;
      console.log(`G-code terminal on ${ptyPath}`);
    } catch (e) {
      // The printer runs without its terminal (the web API still works)
      await candidate.stop();
      console.error(`stepline: no G-code terminal: ${(e as Error).message}`);
    }
  }
  const sig = await stopRequested;
  console.log(`stepline: ${sig} received, shutting down`);
  await pty?.stop();
  await printer.stop();
  process.off("uncaughtException", onHostException);
  process.off("unhandledRejection", onHostException);
  console.log("stepline: stopped");
  return 0;
}
