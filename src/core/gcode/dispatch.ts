// The G-code dispatcher (Klipper's GCodeDispatch): command registry (plain, "mux" by a key
// parameter, available-before-ready), line processing with Klipper's error handling and
// responses ("// info", "!! error", "ok"), HELP/STATUS/ECHO/M110/M112/M115/RESTART built-ins.
import { ConfigError } from "../config/errors.ts";
import { GCodeCommand } from "./command.ts";
import { GCodeError } from "./errors.ts";
import { ShlexError, shlexSplit } from "./shlex.ts";
import { isTraditionalGCode, isValidExtendedName, tokenizeLine } from "./tokenize.ts";

/** A command handler; if it returns a promise, the next command waits for it. */
export type GCodeHandler = (gcmd: GCodeCommand) => unknown;
export type OutputHandler = (msg: string) => void;

export interface RegisterOptions {
  desc?: string;
  /** Also available before the printer is ready / after shutdown. */
  whenNotReady?: boolean;
}

/** What the dispatcher needs from the printer (implemented by Printer in ../printer.ts). */
export interface GCodeHost {
  registerEventHandler(event: string, cb: (...args: any[]) => unknown): void;
  sendEvent(event: string, ...args: unknown[]): unknown[];
  sendEventAsync(event: string, ...args: unknown[]): Promise<unknown[]>;
  invokeShutdown(msg: string, details?: Record<string, unknown>): void;
  getStateMessage(): [string, string];
  lookupObject<T = unknown>(name: string, def: T | null): T | null;
  requestExit(result: string): void;
  readonly startArgs: Readonly<Record<string, unknown>>;
}

/** Minimal toolhead surface used to settle motion before a restart. */
interface RestartToolhead {
  getLastMoveTime?(): number;
  dwell?(delay: number): void | Promise<void>;
  waitMoves?(): void | Promise<void>;
}

/** Serialises scripts: one runs at a time, the others wait their turn. */
export class GCodeMutex {
  private tail: Promise<void> = Promise.resolve();
  /** Runs holding or waiting for the mutex. */
  private users = 0;
  /** Runs that had to wait for another holder (batch input counts them to see a hand-over). */
  waits = 0;
  async run<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.users > 0) this.waits++;
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    this.users++;
    await prev;
    try {
      return await fn();
    } finally {
      this.users--;
      release();
    }
  }
  /** True while a command holds the mutex (Klipper's mutex.test(): the G-code class is busy). */
  test(): boolean {
    return this.users > 0;
  }
}

const isThenable = (v: unknown): v is PromiseLike<unknown> => typeof (v as PromiseLike<unknown> | undefined)?.then === "function";

export class GCodeDispatcher {
  readonly mutex = new GCodeMutex();
  private readonly outputHandlers: OutputHandler[] = [];
  private readonly readyHandlers = new Map<string, GCodeHandler>();
  private readonly baseHandlers = new Map<string, GCodeHandler>();
  private handlers = this.baseHandlers;
  private readonly help = new Map<string, string>();
  private readonly mux = new Map<string, { key: string; values: Map<string | null, GCodeHandler> }>();
  private isPrinterReady = false;
  /** Input comes from a file (batch mode): an error ends the run. */
  readonly isFileInput: boolean;

  constructor(private readonly printer: GCodeHost) {
    this.isFileInput = Boolean(printer.startArgs.debuginput);
    printer.registerEventHandler("klippy:ready", () => this.handleReady());
    printer.registerEventHandler("klippy:shutdown", () => this.handleShutdown());
    printer.registerEventHandler("klippy:disconnect", () => this.respondState("Disconnect"));
    const early = { whenNotReady: true };
    this.register("M110", () => {}, early);
    this.register("M112", () => this.emergencyStop(), early);
    this.register("M115", (g) => this.cmdM115(g), early);
    this.register("RESTART", () => this.requestRestart("restart"), { ...early, desc: "Reload config file and restart host software" });
    this.register("FIRMWARE_RESTART", () => this.requestRestart("firmware_restart"), { ...early, desc: "Restart firmware, host, and reload config" });
    this.register("ECHO", (g) => g.respondInfo(g.getCommandline(), false), early);
    this.register("STATUS", (g) => this.cmdStatus(g), { ...early, desc: "Report the printer status" });
    this.register("HELP", (g) => this.cmdHelp(g), { ...early, desc: "Report the list of available extended G-Code commands" });
  }

  /**
   * Register (or, with handler null, remove) a command. Extended commands get their
   * NAME=VALUE parameters parsed before the handler runs. Returns the removed handler.
   */
  register(cmd: string, handler: GCodeHandler | null, opts: RegisterOptions | string = {}): GCodeHandler | undefined {
    const o: RegisterOptions = typeof opts === "string" ? { desc: opts } : opts;
    if (handler === null) {
      const old = this.readyHandlers.get(cmd);
      this.readyHandlers.delete(cmd);
      this.baseHandlers.delete(cmd);
      return old;
    }
    if (this.readyHandlers.has(cmd)) throw new ConfigError(`gcode command ${cmd} already registered`);
    let fn = handler;
    if (!isTraditionalGCode(cmd)) {
      if (!isValidExtendedName(cmd)) throw new ConfigError(`Can't register '${cmd}' as it is an invalid name`);
      fn = (gcmd) => handler(this.parseExtendedParams(gcmd));
    }
    this.readyHandlers.set(cmd, fn);
    if (o.whenNotReady) this.baseHandlers.set(cmd, fn);
    if (o.desc !== undefined) this.help.set(cmd, o.desc);
    return undefined;
  }

  /** A command routed by the value of one parameter (SET_PRESSURE_ADVANCE EXTRUDER=...);
   * value null is the handler used when the parameter is absent. */
  registerMux(cmd: string, key: string, value: string | null, handler: GCodeHandler, desc?: string): void {
    let entry = this.mux.get(cmd);
    if (!entry) {
      this.register(cmd, (g) => this.runMux(cmd, g), desc === undefined ? {} : { desc });
      entry = { key, values: new Map() };
      this.mux.set(cmd, entry);
    }
    if (entry.key !== key) throw new ConfigError(`mux command ${cmd} ${key} ${value} may have only one key (${entry.key})`);
    if (entry.values.has(value)) throw new ConfigError(`mux command ${cmd} ${key} ${value} already registered`);
    entry.values.set(value, handler);
  }

  private runMux(cmd: string, gcmd: GCodeCommand): unknown {
    const { key, values } = this.mux.get(cmd)!;
    const param = values.has(null) ? gcmd.get(key, null) : gcmd.get(key);
    const handler = values.get(param);
    if (handler) return handler(gcmd);
    const names = [...values.keys()].filter((v): v is string => v !== null);
    const guess = param ? names.filter((v) => v.includes(param)).at(-1) : undefined;
    const hint = guess !== undefined ? `. Did you mean '${guess}'?` : `. Options: ${names.map((v) => `'${v}'`).join(", ")}`;
    throw new GCodeError(`The value '${param}' is not valid for ${key}${hint}`);
  }

  isRegistered(cmd: string): boolean {
    return this.readyHandlers.has(cmd);
  }

  getCommandHelp(): Record<string, string> {
    return Object.fromEntries(this.help);
  }

  /** Klipper's gcode status: available commands with their help text. */
  getStatus(): { commands: Record<string, { help?: string }> } {
    const commands: Record<string, { help?: string }> = {};
    for (const cmd of this.handlers.keys()) {
      const help = this.help.get(cmd);
      commands[cmd] = help === undefined ? {} : { help };
    }
    return { commands };
  }

  /** M112: shut down at once (also called by GCodeInput as soon as an M112 line arrives). */
  emergencyStop(): void {
    this.printer.invokeShutdown("Shutdown due to M112 command");
  }

  registerOutputHandler(cb: OutputHandler): void {
    this.outputHandlers.push(cb);
  }

  private handleReady(): void {
    this.isPrinterReady = true;
    this.handlers = this.readyHandlers;
    this.respondState("Ready");
  }
  private handleShutdown(): void {
    if (!this.isPrinterReady) return;
    this.isPrinterReady = false;
    this.handlers = this.baseHandlers;
    this.respondState("Shutdown");
  }

  /**
   * Run lines as the printer's input does (needAck: "ok" after each, errors are reported and
   * processing continues) or as a script (errors are reported and then thrown).
   */
  processCommands(lines: readonly string[], needAck: boolean): Promise<void> | undefined {
    // Synchronous while the lines are (Klipper's script runs without a reactor turn unless a
    // command waits): batch mode's stop-after-error depends on which lines wait
    for (let i = 0; i < lines.length; i++) {
      const r = this.processLine(lines[i]!, needAck);
      if (r) return r.then(() => this.processCommands(lines.slice(i + 1), needAck));
    }
    return undefined;
  }

  /**
   * One line as processCommands runs it: synchronous unless its handler returns a promise
   * (then the returned promise settles once the line is done), so that callers feeding many
   * lines pay for no promise per line.
   */
  processLine(raw: string, needAck: boolean): Promise<void> | undefined {
    const { command, line, params } = tokenizeLine(raw);
    const gcmd = new GCodeCommand(this, command, line, params, needAck);
    const handler = this.handlers.get(command) ?? ((g: GCodeCommand) => this.cmdDefault(g));
    let r: unknown;
    try {
      r = handler(gcmd);
    } catch (e) {
      this.commandFailed(e, gcmd, needAck);
      gcmd.ack();
      return undefined;
    }
    if (isThenable(r)) return this.finishLine(r, gcmd, needAck);
    gcmd.ack();
    return undefined;
  }

  private async finishLine(r: PromiseLike<unknown>, gcmd: GCodeCommand, needAck: boolean): Promise<void> {
    try {
      await r;
    } catch (e) {
      this.commandFailed(e, gcmd, needAck);
    }
    gcmd.ack();
  }

  /**
   * Report a failed command; rethrows it when running a script (needAck false). gcode:command_error
   * carries the line and the message (for the log; Klipper's handlers take no arguments).
   */
  private commandFailed(e: unknown, gcmd: GCodeCommand, needAck: boolean): void {
    if (e instanceof GCodeError) {
      this.respondError(e.message);
      this.printer.sendEvent("gcode:command_error", gcmd.getCommandline(), e.message);
    } else {
      const msg = `Internal error on command:"${gcmd.getCommand()}"`;
      this.printer.invokeShutdown(msg, { error: String((e as Error)?.stack ?? e) });
      this.respondError(msg);
    }
    if (!needAck) throw e;
  }

  /** Run a multi-line script under the G-code mutex; the first error is thrown. */
  runScript(script: string): Promise<void> {
    return this.mutex.run(() => this.processCommands(script.split("\n"), false) ?? Promise.resolve());
  }

  /** Run a script from inside a command handler (the mutex is already held). */
  runScriptFromCommand(script: string): Promise<void> | undefined {
    return this.processCommands(script.split("\n"), false);
  }

  /** A command object for code that calls handlers directly (Klipper's create_gcode_command). */
  createCommand(command: string, commandline: string, params: Record<string, string>): GCodeCommand {
    return new GCodeCommand(this, command, commandline, params, false);
  }

  respondRaw(msg: string): void {
    for (const cb of this.outputHandlers) cb(msg);
  }
  respondInfo(msg: string, _log = true): void {
    const lines = msg.trim().split("\n").map((l) => l.trim());
    this.respondRaw(`// ${lines.join("\n// ")}`);
  }
  /** "!! first line"; a multi-line message is also sent in full as info first. */
  respondError(msg: string): void {
    const lines = msg.trim().split("\n");
    if (lines.length > 1) this.respondInfo(lines.join("\n"), false);
    this.respondRaw(`!! ${lines[0]!.trim()}`);
    if (this.isFileInput) this.printer.requestExit("error_exit");
  }
  private respondState(state: string): void {
    this.respondInfo(`Klipper state: ${state}`, false);
  }

  private parseExtendedParams(gcmd: GCodeCommand): GCodeCommand {
    let words: string[];
    try {
      words = shlexSplit(gcmd.getRawCommandParameters());
    } catch (e) {
      if (e instanceof ShlexError) throw new GCodeError(`Malformed command '${gcmd.getCommandline()}'`);
      throw e;
    }
    const params: Record<string, string> = {};
    for (const w of words) {
      const eq = w.indexOf("=");
      if (eq < 0) throw new GCodeError(`Malformed command '${gcmd.getCommandline()}'`);
      params[w.slice(0, eq).toUpperCase()] = w.slice(eq + 1);
    }
    for (const k of Object.keys(gcmd.params)) delete gcmd.params[k];
    Object.assign(gcmd.params, params);
    return gcmd;
  }

  /** Commands without a handler: a few are silently accepted, the rest are "Unknown command". */
  private cmdDefault(gcmd: GCodeCommand): unknown {
    const cmd = gcmd.getCommand();
    if (cmd === "M105") {
      gcmd.ack("T:0");
      return;
    }
    if (cmd === "M21") return;
    if (!this.isPrinterReady) throw new GCodeError(this.printer.getStateMessage()[0]);
    if (!cmd) return;
    if (cmd.includes(" ")) {
      // M117/M118/M23 whose text starts with digits or symbols, e.g. "M117 1.5 done".
      const realCmd = cmd.split(/\s+/)[0]!;
      const handler = ["M117", "M118", "M23"].includes(realCmd) ? this.handlers.get(realCmd) : undefined;
      if (handler) {
        gcmd.command = realCmd;
        return handler(gcmd);
      }
    } else if ((cmd === "M140" || cmd === "M104") && !gcmd.getFloat("S", 0)) {
      return; // turning off a heater that isn't configured
    } else if (cmd === "M107" || (cmd === "M106" && (!gcmd.getFloat("S", 1) || this.isFileInput))) {
      return; // fan requests without a configured fan
    }
    gcmd.respondInfo(`Unknown command:"${cmd}"`);
  }

  private cmdM115(gcmd: GCodeCommand): void {
    const version = String(this.printer.startArgs.software_version ?? "stepline");
    const msg = `FIRMWARE_NAME:Klipper FIRMWARE_VERSION:${version}`;
    if (!gcmd.ack(msg)) gcmd.respondInfo(msg);
  }

  private cmdStatus(gcmd: GCodeCommand): void {
    if (this.isPrinterReady) {
      this.respondState("Ready");
      return;
    }
    const msg = this.printer.getStateMessage()[0];
    throw gcmd.error(`${msg.trimEnd()}\nKlipper state: Not ready`);
  }

  private cmdHelp(gcmd: GCodeCommand): void {
    const out: string[] = [];
    if (!this.isPrinterReady) out.push("Printer is not ready - not all commands available.");
    out.push("Available extended commands:");
    for (const cmd of [...this.handlers.keys()].sort()) {
      const help = this.help.get(cmd);
      if (help !== undefined) out.push(`${cmd.padEnd(10)}: ${help}`);
    }
    gcmd.respondInfo(out.join("\n"), false);
  }

  /** Finish queued motion (when running), tell listeners, then ask the printer to exit/restart. */
  async requestRestart(result: string): Promise<void> {
    if (this.isPrinterReady) {
      const toolhead = this.printer.lookupObject<RestartToolhead>("toolhead", null);
      const printTime = toolhead?.getLastMoveTime?.() ?? 0;
      await this.printer.sendEventAsync("gcode:request_restart", printTime);
      await toolhead?.dwell?.(0.5);
      await toolhead?.waitMoves?.();
    }
    this.printer.requestExit(result);
  }
}
