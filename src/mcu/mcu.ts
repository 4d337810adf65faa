// One Mcu per [mcu] / [mcu NAME] section: the config phase (oids, config
// lines, CRC), command queues, response dispatch, clock conversions, and the
// MCU's health (shutdown reports, restarts, lost communication).
// Batch mode writes the command stream to a file against a simulated clock
// (print time = clock / CLOCK_FREQ); live mode talks to a real or virtual MCU.
import type { DataDictionary, DecodedMessage } from "../protocol/index.ts";
import { BatchLink } from "./batch-link.ts";
import { ClockSync, SecondaryClockSync, type ClockSyncPort } from "./clock-sync.ts";
import { CommandQueue, type QueuedCommand } from "./command-queue.ts";
import { ConfigBuilder, type ConfigLineOptions, type FinalConfig } from "./config-builder.ts";
import type { McuLink } from "./link.ts";
import { LiveConnection } from "./live-connection.ts";
import { consoleLogger, type McuLogger } from "./logger.ts";
import { type McuClock, SimulatedClock } from "./mcu-clock.ts";
import { ResponseDispatcher, type ResponseHandler, type ResponseMessage } from "./response-dispatch.ts";
import { monotonic, type SerialStats } from "./serial-queue.ts";
import type { ByteTransport } from "./transport/index.ts";
import { type DeferrableTimer, housekeepingSlack, setDeferrableTimeout } from "../util/deferrable-timers.ts";

export { consoleLogger, type McuLogger } from "./logger.ts";
export type { McuClock } from "./mcu-clock.ts";
export type { ResponseMessage } from "./response-dispatch.ts";
export type { ByteTransport } from "./transport/index.ts";

export interface BatchOptions {
  dict: DataDictionary;
  /** File that receives the framed command stream. */
  outputPath: string;
}

export interface LiveOptions {
  /** Serial port, pty or in-process stream to the MCU (see ./transport). */
  transport: ByteTransport;
  /** For a secondary MCU: the primary whose print time it follows. */
  primary?: Mcu;
}

export interface SendOptions {
  minClock?: number;
  reqClock?: number;
  queue?: CommandQueue;
}

/** Why an MCU stopped: its own shutdown report, a restart, or the host losing it. */
export interface McuShutdown {
  mcu: string;
  /** The firmware's reason ("Missed scheduling of next digital out event") or the host's. */
  reason: string;
  /** shutdown / is_shutdown (firmware), starting / clock_jump (restart), lost (no communication). */
  eventType: "shutdown" | "is_shutdown" | "starting" | "clock_jump" | "lost";
  /** 64-bit MCU clock of the shutdown, when the firmware reported one. */
  clock: number | null;
}

export class McuError extends Error {}

/** Number of move slots klippy assumes when there is no MCU to ask. */
const BATCH_MOVE_COUNT = 500;
/** Queries before the link watchdog runs give up after this long. */
const HANDSHAKE_TIMEOUT = 5.0;
/** How often the host checks that clock queries are being answered. */
const WATCHDOG_PERIOD = 1.0;

export class Mcu {
  readonly name: string;
  dict: DataDictionary;
  readonly log: McuLogger;
  private readonly config: ConfigBuilder;
  private readonly dispatcher: ResponseDispatcher;
  private readonly postInitCallbacks: (() => void)[] = [];
  private readonly shutdownListeners: ((s: McuShutdown) => void)[] = [];
  private reservedMoveSlots = 0;
  private readonly clock: McuClock;
  private readonly link: McuLink;
  private readonly live: LiveConnection | null;
  private readonly clockSync: ClockSync | null;
  private readonly defaultQueue: CommandQueue;
  private finalConfig: FinalConfig | null = null;
  private rewriteConfigLine: (line: string) => string = (line) => line;
  private shutdownInfo: McuShutdown | null = null;
  private watchdog: DeferrableTimer | null = null;
  private unhandledCounts = new Map<string, number>();
  /** Firmware load from its periodic `stats` report (seconds). */
  private load = { mcu_awake: 0, mcu_task_avg: 0, mcu_task_stddev: 0 };
  /** Move queue slots left for step commands after connect(). */
  moveCount = 0;

  constructor(name: string, opts: ({ batch: BatchOptions } | { live: LiveOptions }) & { log?: McuLogger }) {
    this.name = name;
    this.log = opts.log ?? consoleLogger;
    this.config = new ConfigBuilder(name);
    this.dispatcher = new ResponseDispatcher((msg) => this.onUnhandledResponse(msg));
    if ("batch" in opts) {
      this.dict = opts.batch.dict;
      this.clock = new SimulatedClock(opts.batch.dict.clockFreq);
      this.link = new BatchLink(opts.batch.outputPath);
      this.live = null;
      this.clockSync = null;
      this.defaultQueue = new CommandQueue();
    } else {
      const conn = new LiveConnection(name, opts.live.transport, this.dispatcher, this.log);
      conn.onTransportClosed = (err) =>
        this.reportShutdown({
          mcu: name,
          reason: `Lost communication with MCU '${name}'${err ? ` (${err.message})` : " (port closed)"}`,
          eventType: "lost",
          clock: null,
        });
      this.live = conn;
      this.link = conn;
      this.dict = conn.dict;
      this.defaultQueue = conn.defaultQueue;
      const primarySync = opts.live.primary?.clockSync;
      if (opts.live.primary && !primarySync) throw new McuError(`MCU '${name}': the primary MCU is not a live MCU`);
      this.clockSync = primarySync ? new SecondaryClockSync(1, primarySync) : new ClockSync(1);
      this.clockSync.onClockJump = ({ expected, got }) =>
        this.reportShutdown({
          mcu: name,
          reason: `MCU '${name}' clock jumped (expected about ${expected}, got ${got}): it restarted`,
          eventType: "clock_jump",
          clock: null,
        });
      this.clock = this.clockSync;
    }
  }

  isBatch(): boolean {
    return this.live === null;
  }

  /** Host monotonic time in seconds (the clock the estimates use). */
  monotonic(): number {
    return monotonic();
  }

  // ---- configuration (before connect) ----
  createOid(): number {
    return this.config.createOid();
  }
  addConfigCmd(line: string, opts?: ConfigLineOptions): void {
    this.config.addConfigCmd(line, opts);
  }
  registerConfigCallback(cb: () => void): void {
    this.config.registerConfigCallback(cb);
  }
  /** How every config/restart/init line is rewritten before it is sent (the printer's pin aliases). */
  setConfigLineRewriter(rewrite: (line: string) => string): void {
    this.rewriteConfigLine = rewrite;
  }
  /** Called after the MCU is configured, before moveCount is fixed. */
  registerPostInitCallback(cb: () => void): void {
    this.postInitCallbacks.push(cb);
  }
  /** Reserve one of the MCU's move slots for a non-stepper user. */
  requestMoveQueueSlot(): void {
    this.reservedMoveSlots++;
  }
  /** CRC of the finalized config (after connect). */
  get configCrc(): number | null {
    return this.finalConfig?.crc ?? null;
  }

  // ---- connection phases ----

  /**
   * Live: open the link, fetch the data dictionary, start clock sync.
   * Batch: nothing to do (the dictionary came from a file).
   */
  async identify(): Promise<void> {
    const conn = this.live;
    if (!conn) return;
    conn.start();
    const dict = await conn.identify();
    this.dict = dict;
    this.log.info(`MCU '${this.name}': identified, data dictionary ${JSON.stringify(dict.json).length} bytes`);
    this.log.info(`Loaded MCU '${this.name}' ${dict.messages.length} commands (${dict.version} / ${dict.buildVersions})`);
    this.log.info(`MCU '${this.name}' config: ${Object.entries(dict.constants).map(([k, v]) => `${k}=${v}`).join(" ")}`);
    const baud = dict.constants.SERIAL_BAUD;
    if (typeof baud === "number" && baud > 0) conn.serial.setWireFrequency(baud);
    const window = dict.constants.RECEIVE_WINDOW;
    if (typeof window === "number") conn.serial.setReceiveWindow(window);
    for (const ev of ["shutdown", "is_shutdown"] as const)
      this.registerResponse(ev, null, (m) =>
        this.reportShutdown({
          mcu: this.name,
          reason: String(m.params.static_string_id),
          eventType: ev,
          clock: typeof m.params.clock === "number" ? this.clock32ToClock64(m.params.clock) : null,
        }),
      );
    this.registerResponse("stats", null, (m) => this.handleStats(m));
    this.registerResponse("starting", null, () =>
      this.reportShutdown({ mcu: this.name, reason: `MCU '${this.name}' spontaneous restart`, eventType: "starting", clock: null }),
    );
    await this.clockSync!.start(this.clockSyncPort(conn), dict.clockFreq);
    const est = this.clockSync!.estimator;
    this.log.info(
      `MCU '${this.name}': clock ${dict.clockFreq} Hz, measured ${est.estimate.freq.toFixed(0)} Hz` +
        ` (${((est.estimate.freq / dict.clockFreq - 1) * 1e6).toFixed(1)} ppm); clock sync: samples off the prediction by` +
        ` ${(est.residualRms * 1e6).toFixed(0)} us rms, round trip ${(est.typicalRtt * 1e6).toFixed(0)} us`,
    );
    this.armWatchdog();
  }

  /** Once a second, late by a little when that shares a wake-up (util/deferrable-timers.ts). */
  private armWatchdog(): void {
    this.watchdog = setDeferrableTimeout(() => {
      this.checkTimeout();
      if (this.watchdog) this.armWatchdog();
    }, WATCHDOG_PERIOD, housekeepingSlack(WATCHDOG_PERIOD));
  }

  /**
   * Config phase. Batch: finalize and write allocate_oids .. finalize_config
   * and the init lines. Live: ask get_config; configure an unconfigured MCU,
   * re-send only the restart and init lines to one that already carries this
   * config (host restart), refuse one configured differently.
   */
  async connect(): Promise<void> {
    const conn = this.live;
    if (!conn) {
      const cfg = this.finalize();
      for (const line of [...cfg.configCmds, ...cfg.initCmds]) this.sendLine(line);
      this.finishConfig(BATCH_MOVE_COUNT);
      return;
    }
    let state = await this.getConfig(conn);
    let lines: string[];
    if (!state.isConfig) {
      const cfg = this.finalize();
      lines = [...cfg.configCmds, ...cfg.initCmds];
      this.log.info(`Sending MCU '${this.name}' printer configuration (config CRC ${cfg.crc})...`);
    } else {
      const cfg = this.finalize();
      if (cfg.crc !== state.crc)
        throw new McuError(
          `MCU '${this.name}' CRC does not match config (MCU has ${state.crc}, config is ${cfg.crc}): ` +
            `the MCU holds a different configuration; issue FIRMWARE_RESTART (or reset the MCU)`,
        );
      lines = [...cfg.restartCmds, ...cfg.initCmds];
      this.log.info(`MCU '${this.name}' already configured with this config (CRC ${cfg.crc}); sending restart/init commands only`);
    }
    for (const line of lines) this.sendLine(line);
    state = await this.getConfig(conn);
    if (!state.isConfig) throw new McuError(`Unable to configure MCU '${this.name}'`);
    this.finishConfig(state.moveCount);
    this.log.info(`MCU '${this.name}' ready`);
  }

  private async getConfig(conn: LiveConnection) {
    const r = await conn.query("get_config", "config");
    if (this.shutdownInfo) throw new McuError(`MCU '${this.name}' error during config: ${this.shutdownInfo.reason}`);
    if (r.params.is_shutdown) throw new McuError(`Can not update MCU '${this.name}' config as it is shutdown`);
    return { isConfig: Number(r.params.is_config) !== 0, crc: Number(r.params.crc), moveCount: Number(r.params.move_count) };
  }

  private finalize(): FinalConfig {
    this.finalConfig = this.config.finalize(this.rewriteConfigLine);
    return this.finalConfig;
  }

  private finishConfig(moveCount: number): void {
    for (const cb of this.postInitCallbacks) cb();
    if (moveCount < this.reservedMoveSlots) throw new McuError(`Too few moves available on MCU '${this.name}'`);
    this.moveCount = moveCount - this.reservedMoveSlots;
    this.log.info(`Configured MCU '${this.name}' (${moveCount} moves)`);
  }

  private clockSyncPort(conn: LiveConnection): ClockSyncPort {
    return {
      query: (line, response) => conn.query(line, response, { timeout: HANDSHAKE_TIMEOUT }),
      send: (line, queue) => conn.send(queue, { data: conn.encode(line), minClock: 0, reqClock: 0 }),
      onResponse: (name, cb) => this.registerResponse(name, null, cb),
      setClockEstimate: (e) => conn.serial.setClockEstimate(e.freq, e.sampleTime, e.clock),
      now: monotonic,
    };
  }

  /** The firmware reports its task load every ~5 s: count, sum and sum of squares of task times. */
  private handleStats(m: ResponseMessage): void {
    const freq = this.dict.clockFreq;
    const count = Number(m.params.count);
    const sum = Number(m.params.sum);
    const sumsq = Number(m.params.sumsq) * Number(this.dict.constants.STATS_SUMSQ_BASE ?? 1);
    if (!(count > 0)) return;
    const c = 1 / (count * freq);
    this.load = {
      mcu_awake: sum / freq,
      mcu_task_avg: sum * c,
      mcu_task_stddev: c * Math.sqrt(Math.max(0, count * sumsq - sum * sum)),
    };
  }

  // ---- health ----

  /** Listen for this MCU stopping (firmware shutdown, restart, lost link). Reported once. */
  onShutdown(cb: (s: McuShutdown) => void): void {
    this.shutdownListeners.push(cb);
  }

  isShutdown(): boolean {
    return this.shutdownInfo !== null;
  }

  get shutdown(): McuShutdown | null {
    return this.shutdownInfo;
  }

  /** Host-side fault: tell the MCU to stop everything now (unless it already has). */
  emergencyStop(): void {
    if (!this.live || this.live.isClosed || this.shutdownInfo?.eventType === "shutdown") return;
    this.live.send(this.defaultQueue, { data: this.live.encode("emergency_stop"), minClock: 0, reqClock: 0 });
  }

  private checkTimeout(): void {
    if (this.shutdownInfo || !this.clockSync || this.clockSync.isActive()) return;
    this.reportShutdown({ mcu: this.name, reason: `Lost communication with MCU '${this.name}'`, eventType: "lost", clock: null });
  }

  private reportShutdown(s: McuShutdown): void {
    if (s.eventType === "lost") this.live?.failQueries(s.reason);
    if (this.shutdownInfo) return;
    this.shutdownInfo = s;
    this.log.warn(`MCU '${this.name}' shutdown: ${s.reason}${s.clock !== null ? ` (clock ${s.clock})` : ""}`);
    if (this.clockSync) this.log.info(`MCU '${this.name}' ${this.clockSync.estimator.debugLine()}\nMCU '${this.name}' stats: ${this.statsLine()}`);
    for (const cb of this.shutdownListeners) {
      try {
        cb(s);
      } catch (e) {
        this.log.warn(`MCU '${this.name}': error in shutdown listener: ${(e as Error).stack ?? e}`);
      }
    }
  }

  // ---- commands ----
  allocCommandQueue(): CommandQueue {
    return new CommandQueue();
  }

  sendCommand(encoded: Uint8Array, opts: SendOptions = {}): void {
    const cmd: QueuedCommand = { data: encoded, minClock: opts.minClock ?? 0, reqClock: opts.reqClock ?? 0 };
    this.link.send(opts.queue ?? this.defaultQueue, cmd);
  }

  /** Encode a klippy-style text line ("set_digital_out pin=PA1 value=1") and send it. */
  sendLine(line: string, opts: SendOptions = {}): void {
    this.sendCommand(this.encodeLine(line), opts);
  }

  /** Live only: send a command and resolve with its response (e.g. query_endstop -> endstop_state). */
  query(line: string, response: string, opts: { oid?: number | null } & SendOptions = {}): Promise<ResponseMessage> {
    if (!this.live) throw new McuError(`MCU '${this.name}': queries need a live MCU (batch mode)`);
    if (this.shutdownInfo?.eventType === "lost") return Promise.reject(new McuError(this.shutdownInfo.reason));
    return this.live.query(line, response, opts);
  }

  private encodeLine(line: string): Uint8Array {
    try {
      return this.dict.encodeCommandText(line);
    } catch (e) {
      throw new McuError(`MCU '${this.name}': cannot encode '${line}': ${(e as Error).message}`);
    }
  }

  /** Transmit what is queued (batch: pack and write everything so far). */
  flush(): void {
    this.link.flush();
  }

  async close(): Promise<void> {
    this.watchdog?.cancel();
    this.watchdog = null;
    this.clockSync?.stop();
    await this.link.close();
  }

  // ---- responses ----
  registerResponse(name: string, oid: number | null, cb: ResponseHandler | null): void {
    this.dispatcher.register(name, oid, cb);
  }

  /** Deliver a response as if the MCU had sent it (batch-mode simulations, tests). */
  dispatchResponse(msg: DecodedMessage & Partial<ResponseMessage>): void {
    this.dispatcher.dispatch({ sentTime: 0, receiveTime: 0, ...msg });
  }

  private onUnhandledResponse(msg: ResponseMessage): void {
    const key = msg.name;
    const n = (this.unhandledCounts.get(key) ?? 0) + 1;
    this.unhandledCounts.set(key, n);
    if (n <= 10) this.log.warn(`MCU '${this.name}': got unhandled ${this.dict.formatMessage(msg)}${n === 10 ? " (further ones not logged)" : ""}`);
  }

  /** Responses nobody handled, by name (e.g. reports for an oid the host does not know). */
  get unhandledResponses(): ReadonlyMap<string, number> {
    return this.unhandledCounts;
  }

  // ---- clocks ----
  printTimeToClock(printTime: number): number {
    return this.clock.printTimeToClock(printTime);
  }
  clockToPrintTime(clock: number): number {
    return this.clock.clockToPrintTime(clock);
  }
  secondsToClock(s: number): number {
    return Math.trunc(s * this.dict.clockFreq);
  }
  estimatedPrintTime(hostTime: number): number {
    return this.clock.estimatedPrintTime(hostTime);
  }
  clock32ToClock64(clock32: number): number {
    return this.clock.clock32ToClock64(clock32);
  }
  /** Live: predicted MCU clock at a host time. */
  getClock(hostTime: number): number {
    if (!this.clockSync) throw new McuError(`MCU '${this.name}': no live clock in batch mode`);
    return this.clockSync.getClock(hostTime);
  }
  /** Re-align print time with the primary MCU (secondaries) and check the link is alive. */
  calibrateClock(printTime: number, hostTime: number): { offset: number; freq: number } {
    this.checkTimeout();
    return this.clock.calibrate(printTime, hostTime);
  }

  getConstant(name: string): number | string {
    const v = this.dict.constants[name];
    if (v === undefined) throw new McuError(`MCU '${this.name}' has no constant '${name}'`);
    return v;
  }
  getConstantFloat(name: string): number {
    const v = Number(this.getConstant(name));
    if (!Number.isFinite(v)) throw new McuError(`MCU '${this.name}' constant '${name}' is not a number`);
    return v;
  }

  // ---- status ----
  /** Serial link counters (live only). */
  serialStats(): SerialStats | null {
    return this.live?.serial.stats() ?? null;
  }
  /** Bad input survived on the live link. */
  inputErrors(): { badBlocks: number; unknownMessages: number; invalidBytes: number } | null {
    if (!this.live) return null;
    return { ...this.live.inputErrors, invalidBytes: this.live.serial.stats().bytes_invalid };
  }
  /** Klipper-style stats line: firmware load, serial link counters, clock frequency. */
  statsLine(): string {
    const conn = this.live;
    if (!conn || !this.clockSync) return "";
    const l = this.load;
    return (
      `mcu_awake=${l.mcu_awake.toFixed(3)} mcu_task_avg=${l.mcu_task_avg.toFixed(6)} mcu_task_stddev=${l.mcu_task_stddev.toFixed(6)} ` +
      `${conn.serial.statsLine()} freq=${Math.trunc(this.clockSync.estimator.estimate.freq)}`
    );
  }

  /** Klipper-style status snapshot for printer.mcu objects. */
  getStatus(): Record<string, unknown> {
    const lastStats: Record<string, number> = {};
    for (const part of this.statsLine().split(" ").filter(Boolean)) {
      const [k, v] = part.split("=");
      lastStats[k!] = Number(v);
    }
    return {
      mcu_version: this.dict.version,
      mcu_build_versions: this.dict.buildVersions,
      mcu_constants: { ...this.dict.constants },
      last_stats: lastStats,
    };
  }
}
