// A live printer (Klipper's klippy main loop): build the Printer from its config with live MCUs
// on the live event loop, run the connect phase to ready, and keep going across RESTART and
// FIRMWARE_RESTART (each builds a fresh Printer from the re-read config) until stopped.
// Shutdowns of any kind (MCU error, lost MCU, host exception, M112) stop every MCU at once and
// leave the printer in the shutdown state with Klipper's wording until a restart.
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import type { VirtualMcu } from "../../firmware-bridge/index.ts";
import { lookupMotionQueuing } from "../motion/toolhead-module.ts";
import { ConfigError } from "../core/config/errors.ts";
import { PrinterConfig } from "../core/config/printer-config.ts";
import type { ConfigSection } from "../core/config/section.ts";
import "../extras/modules.ts";
import { type ModuleRegistry, moduleRegistry, Printer } from "../core/printer.ts";
import { hostMonotonic, LiveReactor } from "./reactor.ts";
import { StatusHub } from "../core/status-hub.ts";
import { ensureDataDirs, writeVirtualPrinterCfg } from "./virtual-printer/data-dir.ts";
import { attachMotionTimers } from "./flush-timer.ts";
import { consoleLiveLog, FileLog, type LiveLog } from "./log-file.ts";

export { consoleLiveLog, type LiveLog };
import { identifyLiveMcu, LiveMcu, mcuName, setupLiveMcu } from "./live-mcu.ts";
import { hostShutdownMessage } from "./shutdown-messages.ts";
import { McuTransports, type VirtualBoardOptions } from "./transports.ts";

/** Where Stepline runs from (info's klipper_path): the executable's folder, or the source tree. */
const STEPLINE_PATH = Bun.main.startsWith("/$bunfs/") ? dirname(process.execPath) : resolve(dirname(Bun.main), "..");

/** Klipper's cpu_info wording: "4 core ARMv7 Processor rev 4 (v7l)". */
function cpuInfo(): string {
  const all = cpus();
  return `${all.length} core ${all[0]?.model ?? "?"}`;
}

export interface LivePrinterOptions {
  /** printer.cfg to run; without it (and without configText) the built-in virtual printer. */
  configPath?: string;
  /** Config text instead of a file (name shown in errors: configName, default "printer.cfg"). */
  configText?: string;
  configName?: string;
  /** The data folder (config/, gcodes/, logs/); default ~/printer_data. */
  dataDir?: string;
  /** The virtual MCUs' simulated board (tests: faster thermal models, command log). */
  board?: VirtualBoardOptions;
  /** Where log lines go (default: the console). */
  log?: LiveLog;
  /** Also write the log to <dataDir>/logs/stepline.log. */
  logFile?: boolean;
}

/** The running printer: the current Printer instance changes on every restart. */
export class LivePrinter {
  private current!: Printer;
  private currentReactor!: LiveReactor;
  /** The MCUs identified for the current instance (closed when it stops). */
  private instanceMcus = new Map<string, LiveMcu>();
  private readonly transports: McuTransports;
  private readonly outputListeners: ((line: string) => void)[] = [];
  private readonly instanceListeners: ((p: Printer) => void)[] = [];
  private readonly startedListeners: ((p: Printer) => void)[] = [];
  private readyWaiters: (() => void)[] = [];
  private stopped = false;
  private loop: Promise<void> | null = null;
  readonly status: StatusHub;
  readonly log: LiveLog;
  /** The printer.cfg in use (null when running from text). */
  readonly configPath: string | null;

  constructor(private readonly opts: LivePrinterOptions, configPath: string | null, private readonly fileLog: FileLog | null = null) {
    this.log = opts.log ?? consoleLiveLog;
    this.transports = new McuTransports(opts.board);
    this.configPath = configPath;
    this.status = new StatusHub(() => this.current, hostMonotonic);
  }

  get printer(): Printer {
    return this.current;
  }
  get reactor(): LiveReactor {
    return this.currentReactor;
  }
  /** Virtual MCUs by MCU name (empty for a printer on real hardware). */
  get virtualMcus(): ReadonlyMap<string, VirtualMcu> {
    return this.transports.virtual;
  }

  /**
   * An exception no handler caught (the process's uncaughtException / unhandledRejection): the
   * host can no longer be trusted to control anything, so shut down (every MCU stops at once).
   */
  handleHostException(e: unknown): void {
    const err = e as Error;
    this.log.error(`Unhandled exception in the host: ${err?.stack ?? e}`);
    this.current?.invokeShutdown(`Internal error: ${err?.message ?? e}`, { error: String(err?.stack ?? e) });
  }

  /** Pull the cable of a virtual MCU (demos, tests): the host loses it, the board keeps running. */
  unplugVirtualMcu(name = "mcu"): boolean {
    return this.transports.unplugVirtual(name);
  }

  /** G-code responses ("ok", "// ...", "!! ...") of every printer instance. */
  onOutput(cb: (line: string) => void): () => void {
    this.outputListeners.push(cb);
    return () => this.outputListeners.splice(this.outputListeners.indexOf(cb), 1);
  }

  /** Called with each new Printer instance (after a restart), before it connects. */
  onInstance(cb: (p: Printer) => void): void {
    this.instanceListeners.push(cb);
  }

  /** Called each time an instance has finished connecting (ready, or an error state). */
  onStarted(cb: (p: Printer) => void): void {
    this.startedListeners.push(cb);
  }

  /** Resolves once the current instance has finished connecting (ready, or an error state). */
  whenStarted(): Promise<void> {
    if (this.current && this.current.getStateMessage()[1] !== "startup") return Promise.resolve();
    return new Promise((r) => this.readyWaiters.push(r));
  }

  /** First instance, then the restart loop in the background. */
  async start(): Promise<void> {
    await this.startInstance();
    this.loop = this.runLoop();
  }

  private loadConfig(): PrinterConfig {
    if (this.opts.configText !== undefined) return PrinterConfig.fromText(this.opts.configText, this.opts.configName ?? "printer.cfg");
    return PrinterConfig.load(this.configPath!);
  }

  /**
   * The config and its MCUs, identified (pins and steppers need each MCU's dictionary while the
   * config is read). A failure is returned, not thrown: the printer then reports it as its error.
   */
  private async loadAndConnect(mcus: Map<string, LiveMcu>): Promise<{ config: PrinterConfig; startError: Error | null }> {
    let config: PrinterConfig;
    try {
      config = this.loadConfig();
    } catch (e) {
      return { config: PrinterConfig.fromText("", this.configPath ?? "printer.cfg"), startError: e as Error };
    }
    try {
      const transports = await this.transports.openAll(config);
      const names = [...transports.keys()].sort((a, b) => Number(a !== "mcu") - Number(b !== "mcu"));
      for (const name of names) mcus.set(name, await identifyLiveMcu(name, transports.get(name)!, mcus.get("mcu"), this.log));
    } catch (e) {
      return { config, startError: e as Error };
    }
    return { config, startError: null };
  }

  /** Modules as registered, with [mcu] sections built on the MCUs identified for this instance. */
  private moduleRegistry(mcus: Map<string, LiveMcu>, startError: Error | null): ModuleRegistry {
    const registry = moduleRegistry.copy();
    registry.unregister("mcu");
    registry.unregister("mcu ");
    const failStart = (e: Error): never => {
      throw new ConfigError(e.message);
    };
    const buildMcu = (section: ConfigSection, printer: Printer) => {
      if (startError) failStart(startError);
      const mcu = mcus.get(mcuName(section.getName()));
      if (!mcu) throw new ConfigError(`no link to the MCU of section '${section.getName()}'`);
      return setupLiveMcu(section, printer, mcu);
    };
    registry.register("mcu", buildMcu, { stage: "mcu" });
    registry.register("mcu ", buildMcu, { stage: "mcu" });
    // Also without any [mcu] section (unreadable config) connecting must fail with the reason
    if (startError) registry.register("stepline_start_error", () => failStart(startError), { stage: "mcu", always: true });
    return registry;
  }

  private async startInstance(): Promise<void> {
    const mcus = new Map<string, LiveMcu>();
    this.instanceMcus = mcus;
    const { config, startError } = await this.loadAndConnect(mcus);
    const printer = new Printer({
      config,
      registry: this.moduleRegistry(mcus, startError),
      startArgs: {
        software_version: `stepline-${pkg.version}`,
        data_dir: this.opts.dataDir,
        klipper_path: STEPLINE_PATH,
        cpu_info: cpuInfo(),
        log_file: this.fileLog?.path ?? null,
      },
    });
    const reactor = new LiveReactor({
      onTimerError: (name, e) =>
        printer.invokeShutdown(`Internal error in '${name}': ${(e as Error)?.message ?? e}`, { error: String((e as Error)?.stack ?? e) }),
    });
    printer.reactor = reactor;
    printer.gcode.registerOutputHandler((line) => {
      for (const cb of this.outputListeners) cb(line);
    });
    printer.registerEventHandler("klippy:connect", () => {
      const mcu = printer.lookupObject<LiveMcu>("mcu", null);
      if (mcu && printer.lookupObject("toolhead", null)) attachMotionTimers(reactor, lookupMotionQueuing(printer), (t) => mcu.estimatedPrintTime(t));
    });
    // Like Klipper's error_mcu: every shutdown message ends with what to do next
    printer.registerEventHandler("klippy:analyze_shutdown", (msg: string) => printer.updateErrorMsg(msg, hostShutdownMessage(msg)));
    printer.registerEventHandler("klippy:shutdown", () => this.log.error(`Transition to shutdown state: ${printer.getStateMessage()[0]}`));
    this.current = printer;
    this.currentReactor = reactor;
    for (const cb of this.instanceListeners) cb(printer);
    await printer.start();
    const [msg, category] = printer.getStateMessage();
    if (category === "ready") this.log.info("Printer is ready");
    else this.log.error(msg.trimEnd());
    for (const cb of this.startedListeners) cb(printer);
    for (const w of this.readyWaiters.splice(0)) w();
  }

  private async runLoop(): Promise<void> {
    for (;;) {
      const result = await this.current.waitForExit();
      await this.stopInstance(result);
      if (this.stopped || (result !== "restart" && result !== "firmware_restart")) return;
      this.log.info(result === "firmware_restart" ? "Restarting firmware and host software" : "Restarting host software");
      await this.startInstance();
      // stop() during the restart asked the old instance to exit; the new one must follow
      if (this.stopped) this.current.requestExit("exit");
    }
  }

  private async stopInstance(result: string): Promise<void> {
    const printer = this.current;
    printer.sendEvent("klippy:disconnect");
    const mcus = [...this.instanceMcus.values()];
    if (result === "firmware_restart") for (const m of mcus) await m.firmwareRestart();
    this.currentReactor.close();
    for (const m of mcus) await m.close().catch(() => {});
    await this.transports.closeLinks();
  }

  /** Stop the printer (its MCUs are left as they are, like klippy exiting). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.status.close();
    this.current.requestExit("exit");
    await this.loop;
    await this.transports.closeAll();
    this.fileLog?.close();
  }
}

/**
 * Start a live printer: the config at `configPath`, the given `configText`, or (neither) the
 * built-in virtual printer, whose printer.cfg is written to <dataDir>/config on first run.
 * Resolves once the first connect attempt has finished (see printer.getStateMessage()).
 */
export async function startLivePrinter(opts: LivePrinterOptions = {}): Promise<LivePrinter> {
  const lp = createLivePrinter(opts);
  await lp.start();
  return lp;
}

/** A live printer ready to start(), so that listeners can watch its very first instance. */
export function createLivePrinter(opts: LivePrinterOptions = {}): LivePrinter {
  let configPath = opts.configPath ?? null;
  const builtIn = configPath === null && opts.configText === undefined;
  let fileLog: FileLog | null = null;
  if (builtIn || opts.logFile) {
    const dirs = ensureDataDirs(opts.dataDir);
    if (opts.logFile) fileLog = new FileLog(join(dirs.logs, "stepline.log"), opts.log ?? consoleLiveLog);
    const log = fileLog ?? opts.log ?? consoleLiveLog;
    if (builtIn) {
      if (writeVirtualPrinterCfg(dirs)) log.info(`Wrote the virtual printer's config to ${dirs.printerCfg}`);
      configPath = dirs.printerCfg;
    }
    opts = { ...opts, dataDir: dirs.root, log };
  }
  return new LivePrinter(opts, configPath, fileLog);
}
