// A real printer for job/macro tests: config text written to a temp dir, every module built
// from it, the live reactor as its event loop, and an MCU for the toolhead: a batch-mode Mcu
// writing its command stream to a file (print time stands still), or the virtual MCU over an
// in-process link (a live clock, for timeouts that wait on real print time).
// Output lines are collected; waits are on output events.
import { dictPath } from "../support/reference.ts";
import { join } from "node:path";
import { VIRTUAL_PRINTER_HARDWARE, VirtualMcu } from "../../firmware-bridge/index.ts";
import { BatchMcu, buildBatchMcu } from "../../src/batch/mcu.ts";
import { PrinterConfig } from "../../src/core/config/printer-config.ts";
import "../../src/extras/modules.ts";
import { Printer } from "../../src/core/printer.ts";
import { LiveReactor, NEVER, NOW } from "../../src/live/reactor.ts";
import { lookupMotionQueuing } from "../../src/motion/toolhead-module.ts";
import { CARTESIAN_MOTION_CFG, EXTRUDER_CFG, HEATER_BED_CFG } from "../support/printer-configs.ts";
import { TempDir } from "../support/temp-dir.ts";
import { vmcuLink } from "../mcu/vmcu-link.ts";

const DICT_PATH = dictPath("atmega2560.dict");

/** A cartesian printer with an extruder and a heated bed on an atmega2560. */
export const CARTESIAN_CFG = CARTESIAN_MOTION_CFG + EXTRUDER_CFG + HEATER_BED_CFG;

export interface Rig {
  printer: Printer;
  reactor: LiveReactor;
  dir: TempDir;
  /** Every line the printer sent to its G-code output. */
  out: string[];
  /** Runs a G-code script; resolves with the output lines sent while it ran. */
  run(script: string): Promise<string[]>;
  /** Resolves at the next output line matching `re` (checking lines already sent from `from`). */
  waitOutput(re: RegExp, from?: number): Promise<string>;
  /** Resolves when `cb` returns true (checked on every output line and every 10 ms). */
  waitFor(cb: () => boolean, what: string, timeoutS?: number): Promise<void>;
  close(): Promise<void>;
}

export interface RigOptions {
  /** Files to write into the temp dir first (relative path → text). */
  files?: Record<string, string>;
  /** "batch" (default): file-output Mcu; "virtual": the virtual MCU, live. */
  mcu?: "batch" | "virtual";
}

/** Build and start a printer from `cfgText` ("${TMP}" stands for the temp dir). */
export async function startPrinter(cfgText: string, opts: RigOptions = {}): Promise<Rig> {
  const files = opts.files ?? {};
  const dir = new TempDir("stepline-jobs-");
  for (const [rel, text] of Object.entries(files)) dir.write(rel, text);
  const cfgPath = dir.write("printer.cfg", cfgText.replaceAll("${TMP}", dir.path));
  const config = PrinterConfig.load(cfgPath);
  const printer = new Printer({ config });
  const reactor = new LiveReactor({ onTimerError: (name, e) => out.push(`TIMER ERROR ${name}: ${e}`) });
  printer.reactor = reactor;
  const out: string[] = [];
  const listeners = new Set<() => void>();
  printer.gcode.registerOutputHandler((m) => {
    out.push(m);
    for (const l of [...listeners]) l();
  });
  let mcu: BatchMcu | null = null;
  let vmcu: VirtualMcu | null = null;
  const log = { info: () => {}, warn: (m: string) => out.push(`MCU WARN ${m}`) };
  if (opts.mcu === "virtual") {
    vmcu = new VirtualMcu({ hardware: VIRTUAL_PRINTER_HARDWARE });
    vmcu.start();
    const live = new BatchMcu("mcu", { live: { transport: vmcuLink(vmcu) }, log } as ConstructorParameters<typeof BatchMcu>[1]);
    mcu = live;
    await live.identify();
    const section = config.getSection("mcu");
    section.get("serial");
    section.get("restart_method", null);
    printer.pins.registerChip("mcu", live);
    printer.addObject("mcu", live);
    printer.registerEventHandler("klippy:connect", async () => {
      await live.connect();
      lookupMotionQueuing(printer).setupMcuMovequeue(live, live.moveCount);
    });
  } else if (config.hasSection("mcu")) {
    mcu = buildBatchMcu(config.getSection("mcu"), printer, { output: join(dir.path, "out.serial"), dicts: { mcu: DICT_PATH } }, log);
    printer.addObject("mcu", mcu);
  }
  const cleanup = async () => {
    reactor.close();
    printer.sendEvent("klippy:disconnect");
    await mcu?.close();
    vmcu?.stop();
    dir.remove();
  };
  try {
    printer.readConfig();
  } catch (e) {
    await cleanup();
    throw e;
  }
  if (mcu?.isBatch()) {
    // Background step flushing, as a run's event loop does it
    printer.registerEventHandler("klippy:connect", () => {
      const mq = lookupMotionQueuing(printer);
      const timer = reactor.registerTimer("flush", () => (mq.handleFlushTimer() ? NOW : NEVER));
      mq.setFlushTimer({ kick: () => reactor.updateTimer(timer, NOW), cancel: () => reactor.updateTimer(timer, NEVER) });
    });
  }
  await printer.start();
  const [state, category] = printer.getStateMessage();
  if (category !== "ready") {
    await cleanup();
    throw new Error(`printer not ready: ${state}`);
  }

  const waitFor = (cb: () => boolean, what: string, timeoutS = 20) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!cb()) return;
        listeners.delete(check);
        clearInterval(poll);
        clearTimeout(limit);
        resolve();
      };
      const poll = setInterval(check, 10);
      const limit = setTimeout(() => {
        listeners.delete(check);
        clearInterval(poll);
        reject(new Error(`timed out waiting for ${what}; output:\n${out.join("\n")}`));
      }, timeoutS * 1000);
      listeners.add(check);
      check();
    });
  const waitOutput = async (re: RegExp, from = 0) => {
    let found = "";
    await waitFor(() => {
      found = out.slice(from).find((l) => re.test(l)) ?? "";
      return found !== "";
    }, `output ${re}`);
    return found;
  };
  const run = async (script: string) => {
    const from = out.length;
    await printer.gcode.runScript(script);
    return out.slice(from);
  };
  return {
    printer,
    reactor,
    dir,
    out,
    run,
    waitOutput,
    waitFor,
    close: cleanup,
  };
}
