// The printer object registry and lifecycle (Klipper's klippy.Printer): named objects built
// from config sections by registered modules, events (klippy:connect, klippy:ready,
// klippy:shutdown, ...), state message, shutdown and exit requests.
import { ConfigError } from "./config/errors.ts";
import { type ModuleEntry, type ModuleRegistry, moduleRegistry } from "./config/module-registry.ts";
import { type PrinterConfig, type UnusedEntry, unusedError } from "./config/printer-config.ts";
import { isKlipperSection } from "./config/klipper-sections.ts";
import type { ConfigSection } from "./config/section.ts";
import { GCodeDispatcher, type GCodeHost } from "./gcode/dispatch.ts";
import { GCodeError } from "./gcode/errors.ts";
import { hostTime } from "./host-timers.ts";
import { buildMcuSection, type OpenMcuLink as McuLinkOpener } from "./mcu-section.ts";
import { PrinterPins } from "./pins.ts";
import type { Reactor } from "./reactor.ts";
import { Webhooks } from "./webhooks.ts";
import { registerGcodeEndpoints, registerObjectEndpoints } from "./webhooks-endpoints.ts";

/** How a run mode opens the link of one [mcu] section (core/mcu-section.ts reads its options). */
export type OpenMcuLink = McuLinkOpener<Printer>;

/** Register the kernel's own section, [mcu] (its link comes from the run mode: PrinterOptions.openMcuLink). */
export function registerMcuSection(registry: ModuleRegistry): void {
  const build = (config: ConfigSection, printer: Printer) => buildMcuSection(config, printer);
  registry.register("mcu", build, { stage: "mcu" });
  registry.register("mcu ", build, { stage: "mcu" });
}
registerMcuSection(moduleRegistry);

export { type ModuleFactory, type ModuleOptions, ModuleRegistry, type ModuleStage, moduleRegistry, registerModule } from "./config/module-registry.ts";

/** The modules Klipper's toolhead always loads (toolhead.py add_printer_objects), in its order. */
const KLIPPER_DEFAULT_MODULES = ["gcode_move", "homing", "idle_timeout", "system_stats", "manual_probe"];

export const MESSAGE_READY = "Printer is ready";
export const MESSAGE_STARTUP = "Printer is not ready\nThe klippy host software is attempting to connect.  Please\nretry in a few moments.\n";
export const MESSAGE_RESTART =
  'Once the underlying issue is corrected, use the "RESTART"\ncommand to reload the config and restart the host software.\nPrinter is halted\n';

export type StateCategory = "ready" | "startup" | "shutdown" | "error";
/** Handlers take event-specific arguments (e.g. klippy:analyze_shutdown gets msg, details). */
export type EventHandler = (...args: any[]) => unknown;

export interface PrinterOptions {
  config: PrinterConfig;
  /** Module registry to build sections from (default: the process-wide one). */
  registry?: ModuleRegistry;
  /** Unclaimed sections are errors (Klipper) instead of being reported as unsupported. */
  strict?: boolean;
  /** Klipper's start_args: config_file, debuginput (batch input), software_version, checkConfig, ... */
  startArgs?: Record<string, unknown>;
  /** How this run mode opens the link of each [mcu] section (none: [mcu] sections fail to build). */
  openMcuLink?: OpenMcuLink;
}

export interface ConfigProblems {
  /** Klipper sections that no module built and nobody read (names as written in the file). */
  unsupportedSections: string[];
  /** Sections Klipper does not know either (typos, foreign sections): errors, as in Klipper. */
  unknownSections: string[];
  /** Options never read in sections that are in use ("Option 'x' is not valid in section 'y'"). */
  invalidOptions: UnusedEntry[];
}

export interface LoadFailure {
  section: string;
  error: Error;
}

/**
 * Printer objects by name, typed. Each module declares the objects it adds (declaration merging, as
 * Hono's ContextVariableMap), so lookupObject("toolhead") needs no cast:
 *   declare module "../core/printer.ts" { interface PrinterObjects { fan: PrinterFan } }
 */
export interface PrinterObjects {
  webhooks: Webhooks;
  gcode: GCodeDispatcher;
  pins: PrinterPins;
}

export class Printer implements GCodeHost {
  readonly config: PrinterConfig;
  readonly registry: ModuleRegistry;
  readonly strict: boolean;
  readonly startArgs: Readonly<Record<string, unknown>>;
  readonly openMcuLink: OpenMcuLink | undefined;
  readonly pins = new PrinterPins();
  readonly gcode: GCodeDispatcher;
  /** The webhooks endpoint registry (Klipper's API-server endpoints, called in process by a Host). */
  readonly webhooks: Webhooks;
  /** The event loop, set by the run mode (live or batch) before the printer starts. */
  reactor: Reactor | null = null;
  private readonly objects = new Map<string, unknown>();
  private readonly eventHandlers = new Map<string, EventHandler[]>();
  private stateMessage = MESSAGE_STARTUP;
  private inShutdown = false;
  private exitResult: string | null = null;
  private exitWaiters: ((result: string) => void)[] = [];
  private modulesBuilt = false;
  /** Sections whose module failed while loading with keepGoing (check-config). */
  readonly loadFailures: LoadFailure[] = [];

  constructor(opts: PrinterOptions) {
    this.config = opts.config;
    this.registry = opts.registry ?? moduleRegistry;
    this.strict = opts.strict ?? false;
    this.startArgs = { config_file: opts.config.filename, ...opts.startArgs };
    this.openMcuLink = opts.openMcuLink;
    this.gcode = new GCodeDispatcher(this);
    this.webhooks = new Webhooks(this);
    // Klipper's add_early_printer_objects (gcode, then webhooks): webhooks exists before the config
    // is read, so even a config error can be reported through it
    this.addObject("gcode", this.gcode);
    this.addObject("webhooks", this.webhooks);
    registerGcodeEndpoints(this.webhooks, this.gcode);
    registerObjectEndpoints(this.webhooks, this, () => hostTime(this));
    this.addObject("configfile", new ConfigFileObject(this));
    this.addObject("pins", this.pins);
  }

  // ---- objects ----

  addObject(name: string, obj: unknown): void {
    if (this.objects.has(name)) throw new ConfigError(`Printer object '${name}' already created`);
    this.objects.set(name, obj);
  }

  /** The object called `name`; without a default, a missing object is a ConfigError. */
  lookupObject<K extends keyof PrinterObjects>(name: K): PrinterObjects[K];
  lookupObject<K extends keyof PrinterObjects>(name: K, def: null): PrinterObjects[K] | null;
  lookupObject<T = unknown>(name: string): T;
  lookupObject<T = unknown>(name: string, def: T | null): T | null;
  lookupObject<T = unknown>(name: string, def?: T | null): T | null {
    if (this.objects.has(name)) return this.objects.get(name) as T;
    if (def === undefined) throw new ConfigError(`Unknown config object '${name}'`);
    return def;
  }

  /** All objects, or `module` itself (first, if present) and every "module NAME" object. */
  lookupObjects<T = unknown>(module?: string): [string, T][] {
    const all = [...this.objects.entries()] as [string, T][];
    if (module === undefined) return all;
    const named = all.filter(([n]) => n.startsWith(`${module} `));
    return this.objects.has(module) ? [[module, this.objects.get(module) as T], ...named] : named;
  }

  /** Build (once) the object for `section` from its registered module; it need not appear in
   * the config (then every option takes its default). */
  loadObject<K extends keyof PrinterObjects>(section: K): PrinterObjects[K];
  loadObject<K extends keyof PrinterObjects>(section: K, def: null): PrinterObjects[K] | null;
  loadObject<T = unknown>(section: string): T;
  loadObject<T = unknown>(section: string, def: T | null): T | null;
  loadObject<T = unknown>(section: string, def?: T | null): T | null {
    if (this.objects.has(section)) return this.objects.get(section) as T;
    const entry = this.registry.find(section);
    if (!entry) {
      if (def === undefined) throw new ConfigError(`Unable to load module '${section}'`);
      return def;
    }
    return this.build(entry, section) as T;
  }

  private build(entry: ModuleEntry, section: string): unknown {
    const obj = entry.factory(this.config.getSection(section), this);
    // A factory may add the object itself (e.g. under another name as well); one that returns
    // nothing adds no object for its section ([printer] builds "toolhead", Klipper has no "printer")
    if (!this.objects.has(section) && obj !== undefined) this.objects.set(section, obj);
    return this.objects.get(section);
  }

  // ---- config ----

  /**
   * Build every configured section that has a module, in Klipper's order: [mcu] sections,
   * then extras in config file order, then the toolhead stage, then `always` modules that had
   * no section. With keepGoing, a failing module is recorded in loadFailures and loading goes on.
   */
  instantiateModules(opts: { keepGoing?: boolean } = {}): void {
    this.modulesBuilt = true;
    const sections = this.config.sectionNames();
    const withEntry = sections.map((s) => [s, this.registry.find(s)] as const).filter((x): x is readonly [string, ModuleEntry] => x[1] !== undefined);
    const tryBuild = (entry: ModuleEntry, section: string) => {
      if (this.objects.has(section)) return;
      try {
        this.build(entry, section);
      } catch (e) {
        if (!opts.keepGoing || !(e instanceof Error)) throw e;
        this.loadFailures.push({ section, error: e });
      }
    };
    const stage = (name: ModuleEntry["stage"]) => withEntry.filter(([, e]) => e.stage === name);
    // Unnamed [mcu] before [mcu NAME] sections, like Klipper.
    const mcu = stage("mcu").sort(([a], [b]) => Number(a.includes(" ")) - Number(b.includes(" ")));
    for (const [s, e] of mcu) tryBuild(e, s);
    for (const [s, e] of stage("extras")) tryBuild(e, s);
    for (const [s, e] of stage("toolhead")) tryBuild(e, s);
    // Klipper's toolhead default modules come in its order (objects/list follows it), the rest after
    const rank = (e: ModuleEntry) => {
      const i = KLIPPER_DEFAULT_MODULES.indexOf(e.key);
      return i < 0 ? KLIPPER_DEFAULT_MODULES.length : i;
    };
    const always = this.registry.all().filter((e) => e.always).sort((a, b) => rank(a) - rank(b));
    for (const stageName of ["mcu", "toolhead", "extras"] as const)
      for (const e of always) if (e.stage === stageName) tryBuild(e, e.key);
  }

  /** Unsupported sections and never-read options after instantiateModules(). Sections whose
   * module failed are left out (their reads stopped at the error). */
  configProblems(): ConfigProblems {
    const failed = new Set(this.loadFailures.map((f) => f.section.toLowerCase()));
    const unused = this.config.findUnused(this.objects.keys()).filter((u) => !failed.has(u.section));
    const unread = unused.filter((u) => u.option === undefined).map((u) => u.sectionName);
    return {
      unsupportedSections: unread.filter(isKlipperSection),
      unknownSections: unread.filter((s) => !isKlipperSection(s)),
      invalidOptions: unused.filter((u) => u.option !== undefined),
    };
  }

  /** Klipper's _read_config: build every module, then reject unknown sections and options (and, in
   * strict mode, Klipper sections Stepline lacks). Returns the unsupported sections that were tolerated. */
  readConfig(): string[] {
    this.instantiateModules();
    const problems = this.configProblems();
    const unknown = problems.unknownSections[0];
    if (unknown !== undefined) throw unusedError({ section: unknown.toLowerCase() });
    if (this.strict && problems.unsupportedSections.length) throw unusedError({ section: problems.unsupportedSections[0]!.toLowerCase() });
    const firstOption = problems.invalidOptions[0];
    if (firstOption) throw unusedError(firstOption);
    return problems.unsupportedSections;
  }

  // ---- events and state ----

  registerEventHandler(event: string, cb: EventHandler): void {
    const list = this.eventHandlers.get(event);
    if (list) list.push(cb);
    else this.eventHandlers.set(event, [cb]);
  }

  /** Call every handler of `event` synchronously; returns their results. */
  sendEvent(event: string, ...args: unknown[]): unknown[] {
    return (this.eventHandlers.get(event) ?? []).map((cb) => cb(...args));
  }

  /** Call every handler of `event` in order, awaiting each one. */
  async sendEventAsync(event: string, ...args: unknown[]): Promise<unknown[]> {
    const out: unknown[] = [];
    for (const cb of this.eventHandlers.get(event) ?? []) out.push(await cb(...args));
    return out;
  }

  getStateMessage(): [string, StateCategory] {
    if (this.stateMessage === MESSAGE_READY) return [this.stateMessage, "ready"];
    if (this.stateMessage === MESSAGE_STARTUP) return [this.stateMessage, "startup"];
    return [this.stateMessage, this.inShutdown ? "shutdown" : "error"];
  }

  isShutdown(): boolean {
    return this.inShutdown;
  }

  /** Klipper's update_error_msg: reword the error state message if it still is `oldMsg`. */
  updateErrorMsg(oldMsg: string, newMsg: string): void {
    const transient = (m: string) => m === MESSAGE_READY || m === MESSAGE_STARTUP;
    if (this.stateMessage !== oldMsg || transient(this.stateMessage) || transient(newMsg)) return;
    this.stateMessage = newMsg;
  }

  private setState(msg: string): void {
    if (this.stateMessage === MESSAGE_READY || this.stateMessage === MESSAGE_STARTUP) this.stateMessage = msg;
    if (msg !== MESSAGE_READY && this.startArgs.debuginput !== undefined) this.requestExit("error_exit");
  }

  /**
   * Klipper's _connect: read the config (unless done), then klippy:mcu_identify,
   * klippy:connect and klippy:ready handlers (awaited in order). A config or connect error
   * leaves the printer in the error state with Klipper's message instead of throwing.
   */
  async start(): Promise<void> {
    try {
      if (!this.modulesBuilt) this.readConfig();
      await this.sendEventAsync("klippy:mcu_identify");
      for (const cb of this.eventHandlers.get("klippy:connect") ?? []) {
        if (this.stateMessage !== MESSAGE_STARTUP) return;
        await cb();
      }
    } catch (e) {
      const msg = e instanceof ConfigError ? `${e.message}\n${MESSAGE_RESTART}` : `Internal error during connect: ${(e as Error)?.message ?? e}\n${MESSAGE_RESTART}`;
      this.setState(msg);
      return;
    }
    try {
      this.setState(MESSAGE_READY);
      for (const cb of this.eventHandlers.get("klippy:ready") ?? []) {
        if (this.stateMessage !== MESSAGE_READY) return;
        await cb();
      }
    } catch (e) {
      this.invokeShutdown(`Internal error during ready callback: ${(e as Error)?.message ?? e}`);
    }
  }

  /** Enter the shutdown state once: klippy:shutdown then klippy:analyze_shutdown handlers
   * (a failing handler does not stop the others). */
  invokeShutdown(msg: string, details: Record<string, unknown> = {}): void {
    if (this.inShutdown) return;
    this.inShutdown = true;
    this.setState(msg);
    for (const cb of this.eventHandlers.get("klippy:shutdown") ?? []) {
      try {
        cb();
      } catch {
        // one broken handler must not keep the others from making the printer safe
      }
    }
    for (const cb of this.eventHandlers.get("klippy:analyze_shutdown") ?? []) {
      try {
        cb(msg, details);
      } catch {
        // analysis is best effort
      }
    }
  }

  /** Ask the main loop to stop ("exit", "restart", "firmware_restart", "error_exit"); the first request wins. */
  requestExit(result: string): void {
    this.exitResult ??= result;
    for (const w of this.exitWaiters.splice(0)) w(this.exitResult);
  }

  get runResult(): string | null {
    return this.exitResult;
  }

  /** Resolves with the exit result once requestExit() has been called. */
  waitForExit(): Promise<string> {
    if (this.exitResult !== null) return Promise.resolve(this.exitResult);
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }
}

/** The "configfile" printer object: config status and the SAVE_CONFIG command. */
class ConfigFileObject {
  private readonly warnings: Record<string, unknown>[] = [];

  constructor(private readonly printer: Printer) {
    for (const w of printer.config.warnings) this.warnings.push({ type: "runtime_warning", message: w });
    printer.gcode.register(
      "SAVE_CONFIG",
      async () => {
        if (!printer.config.autosave.store.sections().length) return;
        try {
          printer.config.autosave.save();
        } catch (e) {
          throw new GCodeError((e as Error).message);
        }
        await printer.gcode.requestRestart("restart");
      },
      { desc: "Overwrite config file and restart" },
    );
  }

  /** Record a deprecated option/value (shown in status warnings). */
  deprecate(section: string, option: string, value?: string, msg?: string): void {
    const message = msg ?? (value === undefined ? `Option '${option}' in section '${section}' is deprecated.` : `Value '${value}' in option '${option}' in section '${section}' is deprecated.`);
    const entry = value === undefined ? { type: "deprecated_option", message, section, option } : { type: "deprecated_value", value, message, section, option };
    if (!this.warnings.some((w) => JSON.stringify(w) === JSON.stringify(entry))) this.warnings.push(entry);
  }

  getStatus(): Record<string, unknown> {
    const autosave = this.printer.config.autosave;
    return {
      config: this.printer.config.rawConfig(),
      settings: this.printer.config.settings(),
      warnings: [...this.warnings],
      save_config_pending: autosave.pending,
      save_config_pending_items: autosave.pendingItems,
    };
  }
}

export type { ConfigSection };
