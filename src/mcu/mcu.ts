// One Mcu per [mcu] / [mcu NAME] section: the config phase (oids, config
// lines, CRC), command queues, response dispatch and the clock conversions.
// Batch mode writes the command stream to a file against a simulated clock
// (print time = clock / CLOCK_FREQ); live mode is added by LiveMcuSession.
import type { DataDictionary, DecodedMessage } from "../protocol/index.ts";
import { BatchLink } from "./batch-link.ts";
import { CommandQueue, type QueuedCommand } from "./command-queue.ts";
import { ConfigBuilder, type ConfigLineOptions, type FinalConfig } from "./config-builder.ts";
import type { McuLink } from "./link.ts";
import { ResponseDispatcher, type ResponseHandler } from "./response-dispatch.ts";

/** Messages the host logs (info) and problems it survives (warn). */
export interface McuLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

export const consoleLogger: McuLogger = {
  info: (m) => console.log(m),
  warn: (m) => console.warn(m),
};

/** Conversions between the MCU clock, host time and print time. */
export interface McuClock {
  printTimeToClock(printTime: number): number;
  clockToPrintTime(clock: number): number;
  estimatedPrintTime(hostTime: number): number;
  clock32ToClock64(clock32: number): number;
}

/** Batch mode clock: clock 0 is print time 0, no MCU to estimate. */
export class SimulatedClock implements McuClock {
  constructor(private readonly freq: number) {}
  printTimeToClock(printTime: number): number {
    return Math.trunc(printTime * this.freq);
  }
  clockToPrintTime(clock: number): number {
    return clock / this.freq;
  }
  estimatedPrintTime(_hostTime: number): number {
    return 0;
  }
  clock32ToClock64(clock32: number): number {
    return clock32 >>> 0;
  }
}

export interface BatchOptions {
  dict: DataDictionary;
  /** File that receives the framed command stream. */
  outputPath: string;
}

export interface SendOptions {
  minClock?: number;
  reqClock?: number;
  queue?: CommandQueue;
}

/** Number of move slots klippy assumes when there is no MCU to ask. */
const BATCH_MOVE_COUNT = 500;

export class Mcu {
  readonly name: string;
  dict: DataDictionary;
  readonly log: McuLogger;
  private readonly config: ConfigBuilder;
  private readonly dispatcher: ResponseDispatcher;
  private readonly defaultQueue = new CommandQueue();
  private readonly postInitCallbacks: (() => void)[] = [];
  private reservedMoveSlots = 0;
  protected clock: McuClock;
  protected link: McuLink;
  private readonly batch: boolean;
  private finalConfig: FinalConfig | null = null;
  /** Move queue slots left for step commands after connect(). */
  moveCount = 0;

  constructor(name: string, opts: { batch: BatchOptions; log?: McuLogger }) {
    this.name = name;
    this.log = opts.log ?? consoleLogger;
    this.config = new ConfigBuilder(name);
    this.dispatcher = new ResponseDispatcher((msg) => this.onUnhandledResponse(msg));
    this.batch = true;
    this.dict = opts.batch.dict;
    this.clock = new SimulatedClock(opts.batch.dict.clockFreq);
    this.link = new BatchLink(opts.batch.outputPath);
  }

  isBatch(): boolean {
    return this.batch;
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
  /** Called after the MCU is configured, before moveCount is fixed. */
  registerPostInitCallback(cb: () => void): void {
    this.postInitCallbacks.push(cb);
  }
  /** Reserve one of the MCU's move slots for a non-stepper user (e.g. PWM queues). */
  requestMoveQueueSlot(): void {
    this.reservedMoveSlots++;
  }
  isConfigFinalized(): boolean {
    return this.config.isFinalized;
  }
  /** CRC of the finalized config (after connect). */
  get configCrc(): number | null {
    return this.finalConfig?.crc ?? null;
  }

  /**
   * Config phase. Batch: finalize and write allocate_oids .. finalize_config
   * and the init lines to the output.
   */
  async connect(): Promise<void> {
    const cfg = this.finalize();
    for (const line of [...cfg.configCmds, ...cfg.initCmds]) this.sendLine(line);
    this.finishConfig(BATCH_MOVE_COUNT);
  }

  protected finalize(): FinalConfig {
    this.finalConfig = this.config.finalize();
    return this.finalConfig;
  }

  protected finishConfig(moveCount: number): void {
    for (const cb of this.postInitCallbacks) cb();
    if (moveCount < this.reservedMoveSlots) throw new Error(`Too few moves available on MCU '${this.name}'`);
    this.moveCount = moveCount - this.reservedMoveSlots;
    this.log.info(`Configured MCU '${this.name}' (${moveCount} moves)`);
  }

  // ---- commands ----
  allocCommandQueue(): CommandQueue {
    return new CommandQueue();
  }

  sendCommand(encoded: Uint8Array, opts: SendOptions = {}): void {
    this.queueCommand(encoded, opts);
  }

  /** Encode a klippy-style text line ("set_digital_out pin=PA1 value=1") and send it. */
  sendLine(line: string, opts: SendOptions = {}): void {
    this.queueCommand(this.encodeLine(line), opts);
  }

  protected queueCommand(encoded: Uint8Array, opts: SendOptions, onAck?: () => void): void {
    const cmd: QueuedCommand = { data: encoded, minClock: opts.minClock ?? 0, reqClock: opts.reqClock ?? 0, onAck };
    this.link.send(opts.queue ?? this.defaultQueue, cmd);
  }

  protected encodeLine(line: string): Uint8Array {
    try {
      return this.dict.encodeCommandText(line);
    } catch (e) {
      throw new Error(`MCU '${this.name}': cannot encode '${line}': ${(e as Error).message}`);
    }
  }

  /** Transmit what is queued (batch: pack and write everything so far). */
  flush(): void {
    this.link.flush();
  }

  async close(): Promise<void> {
    await this.link.close();
  }

  // ---- responses ----
  registerResponse(name: string, oid: number | null, cb: ResponseHandler | null): void {
    this.dispatcher.register(name, oid, cb);
  }

  protected dispatchResponse(msg: DecodedMessage): void {
    try {
      this.dispatcher.dispatch(msg);
    } catch (e) {
      this.log.warn(`MCU '${this.name}': error in handler for '${msg.name}': ${(e as Error).stack ?? e}`);
    }
  }

  protected onUnhandledResponse(msg: DecodedMessage): void {
    this.log.warn(`MCU '${this.name}': unhandled response ${this.dict.formatMessage(msg)}`);
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

  getConstant(name: string): number | string {
    const v = this.dict.constants[name];
    if (v === undefined) throw new Error(`MCU '${this.name}' has no constant '${name}'`);
    return v;
  }
  getConstantFloat(name: string): number {
    const v = Number(this.getConstant(name));
    if (!Number.isFinite(v)) throw new Error(`MCU '${this.name}' constant '${name}' is not a number`);
    return v;
  }
}
