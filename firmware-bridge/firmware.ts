// The firmware core: builds the command table and data dictionary from the command modules,
// dispatches the commands of a block, runs timers, handles shutdown (sched.c) and the task hook
// that lets modules report from their timers. The byte link (framing, acks) is in link.ts.

import { DataDictionary, ProtocolError, type MessageFormat } from "../src/protocol/index.ts";
import { ParseOverrun, readArgs, readMsgId, tableId, type ArgValue } from "./codec.ts";
import { buildDictionary, type BuiltDictionary } from "./dictionary.ts";
import { BaseCommands, STATS_SUMSQ_BASE } from "./handlers/basecmd.ts";
import { MovePool, OidTable } from "./objects.ts";
import { HF_IN_SHUTDOWN } from "./command-flags.ts";
import { PIN_COUNT, PIN_ENUMERATION } from "./pins.ts";

export { HF_IN_SHUTDOWN };
import { SHUTDOWN_REASONS, ShutdownSignal, type ShutdownReason } from "./reasons.ts";
import { createTimer, Scheduler, SF_RESCHEDULE, type Timer, type TimerResult } from "./scheduler.ts";
import type { Hardware } from "./sim/hardware.ts";

export const ADC_MAX = 4095;
export const PWM_MAX = 32768;

export interface CommandDecl {
  format: string;
  flags?: number;
  run: (args: ArgValue[]) => void;
}

/** One group of firmware commands (stepper, endstop, ...), with its shutdown and task hooks. */
export interface FirmwareModule {
  readonly commands: CommandDecl[];
  readonly responses?: readonly string[];
  /** Runs during the shutdown sequence, after all timers were removed. */
  onShutdown?(): void;
  /** Runs after a timer or command woke this module's task (firmware DECL_TASK). */
  task?(): void;
}

export interface FirmwareOptions {
  clockFreq: number;
  mcu: string;
  moveCount: number;
  serialBaud?: number;
  receiveWindow: number;
  logCommands: boolean;
}

export interface ExecutedCommand {
  clock: number; // 32-bit MCU clock at which the command ran
  name: string;
  params: Record<string, number | Uint8Array>;
}

interface CommandEntry {
  fmt: MessageFormat;
  flags: number;
  run: (args: ArgValue[]) => void;
}

const TWO32 = 4294967296;
const nameOf = (format: string) => format.split(" ")[0]!;

export class Firmware {
  readonly dictionary: BuiltDictionary;
  /** The served dictionary as the host side parses it (validates it, and encodes our responses). */
  readonly parsedDictionary: DataDictionary;
  /** Responses the firmware had to drop because they did not fit a block (the firmware drops them too). */
  droppedResponses = 0;
  readonly scheduler: Scheduler;
  readonly oids: OidTable;
  readonly moves: MovePool;
  /** Receives each encoded response payload (the link frames it). */
  output: (payload: Uint8Array) => void = () => {};

  private readonly commandsById = new Map<number, CommandEntry>();
  private readonly responses = new Map<string, MessageFormat>();
  private readonly modules: FirmwareModule[] = [];
  private readonly wokenTasks = new Set<FirmwareModule>();
  private readonly reasonIds: Map<string, number>;
  private readonly base: BaseCommands;
  private shutdownStatus = 0; // 0 running, 2 shutting down, 1 shut down
  private shutdownReason: ShutdownReason = "Command request";
  private readonly periodic: Timer;
  private readonly ticksPerUs: number;

  /**
   * hardware is the simulated board (it outlives firmware restarts, so `epoch` gives the board time
   * at this boot); executed receives the command log when options.logCommands is set.
   */
  constructor(
    readonly options: FirmwareOptions,
    readonly hardware: Hardware,
    private readonly epoch: number,
    moduleFactories: ((fw: Firmware) => FirmwareModule)[],
    private readonly executed: ExecutedCommand[],
  ) {
    this.ticksPerUs = Math.floor(options.clockFreq / 1e6);
    this.scheduler = new Scheduler(
      () => this.tryShutdown("Timer too close"),
      () => this.enterShutdown("Rescheduled timer in the past"),
      this.timerFromUs(1000),
    );
    this.reasonIds = new Map(SHUTDOWN_REASONS.map((r, i) => [r, i + 1]));
    const shutdown = (reason: ShutdownReason) => this.shutdown(reason);
    this.moves = new MovePool(shutdown);
    this.oids = new OidTable(shutdown, () => this.moves.finalized);

    this.base = new BaseCommands(this, options.moveCount);
    this.modules.push(this.base, ...moduleFactories.map((f) => f(this)));
    const constants: Record<string, number | string> = {
      ADC_MAX,
      CLOCK_FREQ: options.clockFreq,
      MCU: options.mcu,
      PWM_MAX,
      RECEIVE_WINDOW: options.receiveWindow,
      STATS_SUMSQ_BASE,
      STEPPER_STEP_BOTH_EDGE: 1,
    };
    if (options.serialBaud !== undefined) constants.SERIAL_BAUD = options.serialBaud;
    this.dictionary = buildDictionary({
      version: "stepline-vmcu-1",
      buildVersions: `stepline vmcu (Bun ${Bun.version})`,
      commands: this.modules.flatMap((m) => m.commands.map((c) => c.format)),
      responses: this.modules.flatMap((m) => m.responses ?? []),
      constants,
      enumerations: { pin: PIN_ENUMERATION, static_string_id: Object.fromEntries(this.reasonIds) },
    });
    this.parsedDictionary = DataDictionary.fromJson(this.dictionary.text);
    for (const m of this.modules)
      for (const c of m.commands) {
        const fmt = this.parsedDictionary.command(nameOf(c.format));
        this.commandsById.set(tableId(fmt), { fmt, flags: c.flags ?? 0, run: c.run });
      }
    for (const format of this.dictionary.responseIds.keys()) this.responses.set(format, this.parsedDictionary.response(nameOf(format)));

    this.periodic = createTimer((t) => this.periodicEvent(t));
    this.periodic.waketime = this.timerFromUs(100000);
    this.scheduler.add(this.periodic);
  }

  // ---- services for modules -------------------------------------------------------------

  timerFromUs(us: number): number {
    return us * this.ticksPerUs;
  }
  /** Current 32-bit clock (firmware timer_read_time()). */
  get now32(): number {
    return this.scheduler.now32;
  }
  get now64(): number {
    return this.scheduler.now64;
  }
  /** Board time in ticks (continues across firmware restarts): the time base of the simulated hardware. */
  get boardTime(): number {
    return this.epoch + this.scheduler.now64;
  }
  get isShutdown(): boolean {
    return this.shutdownStatus !== 0;
  }
  /** The reason of the last shutdown, or null while running normally. */
  get lastShutdown(): ShutdownReason | null {
    return this.shutdownStatus ? this.shutdownReason : null;
  }

  shutdown(reason: ShutdownReason): never {
    throw new ShutdownSignal(reason);
  }
  tryShutdown(reason: ShutdownReason): void {
    if (!this.shutdownStatus) this.shutdown(reason);
  }
  /** clear_shutdown (firmware sched_clear_shutdown). */
  clearShutdown(): void {
    if (!this.shutdownStatus) this.shutdown("Shutdown cleared when not shutdown");
    this.shutdownStatus = 0;
  }

  sendf(format: string, values: readonly ArgValue[]): void {
    const fmt = this.responses.get(format);
    if (!fmt) throw new Error(`response '${format}' is not declared by any firmware module`);
    let payload: Uint8Array;
    try {
      payload = fmt.encodeValues(values);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.droppedResponses++;
      return;
    }
    this.output(payload);
  }

  wakeTask(m: FirmwareModule): void {
    this.wokenTasks.add(m);
  }

  /** Firmware gpio setup: shuts down on a pin number the board does not have. */
  checkPin(pin: number): void {
    if (pin < 0 || pin >= PIN_COUNT) this.shutdown("Not a valid pin");
  }

  // ---- entry points for the link and the clock loop ---------------------------------------

  /** Runs the commands of one block; false when a shutdown abandoned the rest of it (no ack then). */
  dispatchBlock(payload: Uint8Array): boolean {
    const end = payload.length;
    let pos = 0;
    try {
      while (pos < end) {
        let cmd: CommandEntry | undefined;
        let args: ArgValue[];
        try {
          const m = readMsgId(payload, pos, end);
          cmd = this.commandsById.get(m.id);
          if (!cmd) this.shutdown("Invalid command");
          const a = readArgs(cmd.fmt, payload, m.next, end);
          args = a.args;
          pos = a.next;
        } catch (e) {
          if (e instanceof ParseOverrun) this.shutdown("Command parser error");
          throw e;
        }
        if (this.shutdownStatus && !(cmd.flags & HF_IN_SHUTDOWN)) {
          this.sendf("is_shutdown static_string_id=%hu", [this.reasonIds.get(this.shutdownReason)!]);
          continue;
        }
        if (this.options.logCommands) this.logCommand(cmd.fmt, args);
        cmd.run(args);
        this.runTasks();
      }
      return true;
    } catch (e) {
      if (!(e instanceof ShutdownSignal)) throw e;
      this.enterShutdown(e.reason, true);
      return false;
    }
  }

  /** Runs every timer due up to the absolute tick count `until`. */
  runTimers(until: number): void {
    this.scheduler.runUntil(until, (t) => {
      try {
        const r = t.func(t);
        this.runTasks();
        return r;
      } catch (e) {
        if (!(e instanceof ShutdownSignal)) throw e;
        this.enterShutdown(e.reason, true);
        return undefined;
      }
    });
  }

  /** Accounts one pass of the main loop that kept the MCU busy for `ticks`. */
  noteBusy(ticks: number): void {
    this.base.noteBusy(ticks);
  }

  /** The shutdown sequence (firmware run_shutdown); `forced` repeats it even when already shut down. */
  enterShutdown(reason: ShutdownReason, forced = false): void {
    if (this.shutdownStatus && !forced) return;
    const cur = this.now32;
    if (!this.shutdownStatus) this.shutdownReason = reason;
    this.shutdownStatus = 2;
    this.resetTimers();
    for (const m of this.modules) m.onShutdown?.();
    this.moves.reset();
    this.wokenTasks.clear();
    this.shutdownStatus = 1;
    this.sendf("shutdown clock=%u static_string_id=%hu", [cur, this.reasonIds.get(this.shutdownReason)!]);
  }

  // ---- internals ----------------------------------------------------------------------------

  private resetTimers(): void {
    this.scheduler.clear();
    this.scheduler.add(this.periodic);
  }

  private runTasks(): void {
    if (!this.wokenTasks.size) return;
    const tasks = [...this.wokenTasks];
    this.wokenTasks.clear();
    for (const m of tasks) m.task?.();
  }

  /** The firmware's 100 ms periodic timer: keeps a timer always queued and drives the stats report. */
  private periodicEvent(t: Timer): TimerResult {
    t.waketime = (t.waketime + this.timerFromUs(100000)) % TWO32;
    this.base.reportStats();
    return SF_RESCHEDULE;
  }

  private logCommand(fmt: MessageFormat, args: ArgValue[]): void {
    const params: Record<string, number | Uint8Array> = {};
    fmt.params.forEach((p, i) => (params[p.name] = args[i]!));
    this.executed.push({ clock: this.now32, name: fmt.name, params });
  }
}
