// The printer rig for tests: real printers built from config text on the atmega2560 dictionary, in the
// four ways tests need them — startPrinter (every module, live reactor, batch or virtual MCU),
// simPrinter (simulated time, thermal plants), motionRig (rail services only) and runGcode/batchLines
// (a whole `stepline batch` run, decoded) — plus configErrors (check-config) and step-time helpers.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { VIRTUAL_PRINTER_HARDWARE, VirtualMcu } from "../../firmware-bridge/index.ts";
import { BatchMcu, openBatchMcu } from "../../src/batch/mcu.ts";
import { runBatch, type BatchResult } from "../../src/batch/run.ts";
import { checkConfig } from "../../src/cli/check-config.ts";
import { PrinterConfig } from "../../src/core/config/index.ts";
import { McuEndstop } from "../../src/core/mcu-pins/mcu-endstop.ts";
import { PrinterPins } from "../../src/core/pins.ts";
import { type OpenMcuLink, Printer } from "../../src/core/printer.ts";
import { NEVER, NOW, type Reactor, type ReactorTimer } from "../../src/core/reactor.ts";
import type { Heater } from "../../src/extras/heaters/heater.ts";
import "../../src/extras/modules.ts";
import { LiveReactor } from "../../src/live/reactor.ts";
import { Mcu } from "../../src/mcu/mcu.ts";
import type { RailServices } from "../../src/motion/rail.ts";
import type { StepperMcu } from "../../src/motion/stepper.ts";
import { StepperSyncManager } from "../../src/motion/steps/steppersync.ts";
import { lookupMotionQueuing } from "../../src/motion/toolhead-module.ts";
import { TrapQ } from "../../src/motion/steps/trapq.ts";
import type { DataDictionary, DecodedMessage } from "../../src/protocol/index.ts";
import { vmcuLink } from "../mcu/vmcu-link.ts";
import { adcSum, analogInState, heaterAdc } from "./adc-report.ts";
import { CARTESIAN_MOTION_CFG, EXTRUDER_CFG, HEATER_BED_CFG } from "./printer-configs.ts";
import { dictPath, loadDict } from "./reference.ts";
import { decodeLines, decodeMessages } from "./serial.ts";
import { StepExecutor } from "./step-executor.ts";
import { TempDir } from "./temp-dir.ts";
import type { ThermalPlant } from "./thermal-plant.ts";

/** The dictionary every rig printer's MCU speaks. */
export const ATMEGA2560_DICT = loadDict("atmega2560.dict");
const DICT_PATH = dictPath("atmega2560.dict");
const QUIET = { info: () => {}, warn: () => {} };

/** A cartesian printer with an extruder and a heated bed on an atmega2560. */
export const CARTESIAN_CFG = CARTESIAN_MOTION_CFG + EXTRUDER_CFG + HEATER_BED_CFG;

// ---- startPrinter: every module, the live reactor, a batch or virtual MCU ----

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
  /** "batch" (default): a file-output Mcu, print time stands still; "virtual": the virtual MCU, live. */
  mcu?: "batch" | "virtual";
}

/**
 * Build and start a printer from `cfgText` ("${TMP}" stands for the temp dir): config written to a temp
 * dir, every module built from it, the live reactor as its event loop. Output lines are collected;
 * waits are on output events.
 */
export async function startPrinter(cfgText: string, opts: RigOptions = {}): Promise<Rig> {
  const files = opts.files ?? {};
  const dir = new TempDir("stepline-jobs-");
  for (const [rel, text] of Object.entries(files)) dir.write(rel, text);
  const cfgPath = dir.write("printer.cfg", cfgText.replaceAll("${TMP}", dir.path));
  const config = PrinterConfig.load(cfgPath);
  const log = { info: () => {}, warn: (m: string) => out.push(`MCU WARN ${m}`) };
  let mcu: BatchMcu | null = null;
  let vmcu: VirtualMcu | null = null;
  const openMcuLink: OpenMcuLink = (options, _config, printer) => {
    if (opts.mcu !== "virtual") {
      mcu = openBatchMcu(options, printer, { output: join(dir.path, "out.serial"), dicts: { mcu: DICT_PATH } }, log);
      return mcu;
    }
    const live = mcu!;
    printer.pins.registerChip("mcu", live);
    printer.registerEventHandler("klippy:connect", async () => {
      await live.connect();
      lookupMotionQueuing(printer).setupMcuMovequeue(live, live.moveCount);
    });
    return live;
  };
  const printer = new Printer({ config, openMcuLink });
  const reactor = new LiveReactor({ onTimerError: (name, e) => out.push(`TIMER ERROR ${name}: ${e}`) });
  printer.reactor = reactor;
  const out: string[] = [];
  const listeners = new Set<() => void>();
  printer.gcode.registerOutputHandler((m) => {
    out.push(m);
    for (const l of [...listeners]) l();
  });
  if (opts.mcu === "virtual") {
    vmcu = new VirtualMcu({ hardware: VIRTUAL_PRINTER_HARDWARE });
    vmcu.start();
    const live = new BatchMcu("mcu", { live: { transport: vmcuLink(vmcu) }, log } as ConstructorParameters<typeof BatchMcu>[1]);
    mcu = live;
    await live.identify();
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
  return { printer, reactor, dir, out, run, waitOutput, waitFor, close: cleanup };
}

// ---- simPrinter: simulated time for closed-loop heater, fan and timer tests ----

/** A deterministic event loop: timers run in time order as the test advances the clock. */
class SimReactor implements Reactor {
  now = 0;
  private timers = new Map<string, { when: number; cb: () => void; seq: number }>();
  private seq = 0;
  monotonic(): number { return this.now; }
  yieldNow(): void {}
  setTimer(name: string, when: number, cb: () => void): void {
    this.timers.set(name, { when, cb, seq: this.seq++ });
  }
  cancelTimer(name: string): void { this.timers.delete(name); }
  registerCallback(cb: () => void): void {
    this.setTimer(`callback-${this.seq}`, this.now, cb);
  }
  /** Simulated time only advances through advance(); nothing here waits for it. */
  pause(_until: number): Promise<void> {
    return Promise.reject(new Error("SimReactor: pause() is not simulated"));
  }
  registerTimer(name: string, cb: (eventtime: number) => number, waketime = NEVER): ReactorTimer {
    const timer = { name, waketime, fire: () => {} };
    timer.fire = () => {
      const next = cb(this.now);
      this.updateTimer(timer, next);
    };
    this.updateTimer(timer, waketime);
    return timer;
  }
  updateTimer(timer: ReactorTimer, waketime: number): void {
    const t = timer as ReactorTimer & { waketime: number; fire: () => void };
    t.waketime = waketime;
    if (waketime === NEVER) this.cancelTimer(t.name);
    else this.setTimer(t.name, waketime, t.fire);
  }
  /** Run every timer due up to `until`, in time order, advancing the clock. */
  async advance(until: number): Promise<void> {
    for (;;) {
      let next: [string, { when: number; cb: () => void; seq: number }] | null = null;
      for (const e of this.timers) if (!next || e[1].when < next[1].when || (e[1].when === next[1].when && e[1].seq < next[1].seq)) next = e;
      if (!next || next[1].when > until) break;
      this.timers.delete(next[0]);
      this.now = Math.max(this.now, next[1].when);
      next[1].cb();
      await Promise.resolve(); // let awaiting commands continue
    }
    this.now = until;
  }
}

/** The batch Mcu's output, but print time runs with the simulated host clock. */
class SimClockMcu extends Mcu {
  constructor(private readonly reactor: SimReactor, outputPath: string) {
    super("mcu", { batch: { dict: ATMEGA2560_DICT, outputPath }, log: QUIET });
  }
  override estimatedPrintTime(_hostTime: number): number {
    return this.reactor.now;
  }
  /** Nearest 64-bit clock to "now" with these low 32 bits. */
  override clock32ToClock64(clock32: number): number {
    const ref = this.printTimeToClock(this.reactor.now);
    let diff = (clock32 - ref) % 2 ** 32;
    if (diff < 0) diff += 2 ** 32;
    if (diff >= 2 ** 31) diff -= 2 ** 32;
    return ref + diff;
  }
  /** Deliver a response as if it came from the MCU. */
  receive(msg: { name: string; params: Record<string, number | Uint8Array> }): void {
    this.dispatchResponse(msg);
  }
}

/**
 * A printer on simulated time: a SimReactor, a real Mcu whose print time follows its clock, and
 * (attachPlant) a first-order thermal plant per heater fed by the heater's PWM and read back as
 * analog_in_state reports every 0.3 s, as the MCU would send them. The test loads the objects it needs.
 */
export async function simPrinter(cfgText: string) {
  const dir = new TempDir("stepline-sim-printer-");
  const reactor = new SimReactor();
  const printer = new Printer({ config: PrinterConfig.fromText(cfgText) });
  const outputPath = join(dir.path, "out.serial");
  const mcu = new SimClockMcu(reactor, outputPath);
  printer.pins.registerChip("mcu", mcu as never);
  printer.addObject("mcu", mcu);
  printer.reactor = reactor;
  const out: string[] = [];
  printer.gcode.registerOutputHandler((m) => out.push(m));
  return {
    printer, mcu, reactor, out,
    async start() {
      await mcu.connect();
      await printer.sendEventAsync("klippy:connect");
      await printer.sendEventAsync("klippy:ready");
    },
    /** Every 0.3 s: step the plant with the heater's power, report the sensed ADC value. */
    attachPlant(heater: Heater, oid: number, plant: ThermalPlant) {
      const tick = () => {
        plant.power = heater.lastPwmValue;
        const temp = plant.step(0.3);
        const nextClock = Math.trunc((reactor.now + 0.3) * 16e6) >>> 0; // 32 bits on the wire
        mcu.receive(analogInState(oid, nextClock, adcSum(heaterAdc(heater, temp))));
        if (!printer.isShutdown()) reactor.setTimer(`plant:${oid}`, reactor.now + 0.3, tick);
      };
      reactor.setTimer(`plant:${oid}`, reactor.now + 0.3, tick);
    },
    /** Close the MCU and decode everything it wrote (parsedump lines). */
    async outputLines(): Promise<string[]> {
      await mcu.close();
      return decodeLines(ATMEGA2560_DICT, outputPath);
    },
    async close() {
      await mcu.close();
      dir.remove();
    },
  };
}

// ---- motionRig: rail services for motion tests ----

/**
 * Printer-like services for motion tests: real batch MCUs (`extraMcus` adds more, e.g. "extboard"),
 * real pins, real endstops and a step sync whose commands are decoded with the real dictionary.
 */
export function motionRig(cfgText: string, outputPath: string, extraMcus: string[] = []) {
  const dict = ATMEGA2560_DICT;
  const pins = new PrinterPins();
  const sent: string[] = [];
  const mgr = new StepperSyncManager();
  const mcus = new Map<string, { mcu: Mcu; ss: ReturnType<StepperSyncManager["allocStepperSync"]> }>();
  for (const name of ["mcu", ...extraMcus]) {
    const mcu = new Mcu(name, { batch: { dict, outputPath: name === "mcu" ? outputPath : `${outputPath}-${name}` }, log: QUIET });
    pins.registerChip(name, { setupPin: () => null, dict });
    const ss = mgr.allocStepperSync((n, p) => dict.encodeCommand(n, p), (data) => {
      for (const m of dict.decodeMessages(data)) sent.push((name === "mcu" ? "" : `${name}: `) + dict.formatMessage(m));
    });
    ss.setupMoveQueue(500);
    ss.setTime(0, dict.clockFreq);
    mcus.set(name, { mcu, ss });
  }
  const mcuOf = (chipName: string) => mcus.get(chipName)!.mcu;
  const services: RailServices<McuEndstop> = {
    lookupPin: (desc) => {
      const p = pins.lookupPin(desc, { canInvert: true });
      return { mcu: mcuOf(p.chipName) as StepperMcu, pin: p.pin, invert: !!p.invert };
    },
    allocateSyncEmitter: (mcu, n) => mcus.get(mcu.name)!.ss.allocSyncEmitter(n),
    registerFlushCallback: () => {},
    unregisterFlushCallback: () => {},
    parseEndstopPin: (desc) => pins.parsePin(desc, true, true),
    setupEndstop: (desc) => {
      const p = pins.lookupPin(desc, { canInvert: true, canPullup: true, shareType: "endstop" });
      return new McuEndstop(mcuOf(p.chipName), { pin: p.pin, pullup: p.pullup, invert: p.invert });
    },
  };
  const config = PrinterConfig.fromText(cfgText);
  const trapq = new TrapQ();
  const toolhead = { trapq, getMaxVelocity: (): [number, number] => [500, 3000] };
  const env = { toolhead, config: config.getSection("printer"), sections: config, services };
  const mcu = mcuOf("mcu");
  return { mcu, mcus, config, services, trapq, toolhead, mgr, sent, outputPath, env };
}

// ---- runGcode / batchLines / configErrors: whole batch runs and check-config ----

export interface Steps {
  /** Step times (s) in order. */
  times: number[];
  /** Direction wire level of each step. */
  dirs: number[];
}

export interface BatchRun {
  result: BatchResult;
  responses: string[];
  messages: DecodedMessage[];
  /** The dictionary the output was decoded with. */
  dict: DataDictionary;
  bytes: Uint8Array;
  /** Steps by config_stepper step_pin name. */
  stepsByPin: Map<string, Steps>;
}

/** A real batch run (config + G-code in a temp dir), its output decoded and its steps executed. */
export async function runGcode(cfgText: string, gcode: string): Promise<BatchRun> {
  const dir = new TempDir("stepline-toolhead-");
  try {
    const cfg = dir.write("printer.cfg", cfgText);
    const input = dir.write("input.gcode", gcode);
    const output = join(dir.path, "out.serial");
    const responses: string[] = [];
    const result = await runBatch({ config: cfg, input, output, dicts: { mcu: DICT_PATH }, respond: (l) => responses.push(l) });
    // A config error may stop the run before anything is written
    const bytes = existsSync(output) ? new Uint8Array(readFileSync(output)) : new Uint8Array(0);
    const messages = decodeMessages(ATMEGA2560_DICT, bytes);
    return { result, responses, messages, dict: ATMEGA2560_DICT, bytes, stepsByPin: stepTimes(messages) };
  } finally {
    dir.remove();
  }
}

/** runGcode with its output as parsedump text lines; lines are empty when the run failed. */
export async function batchLines(cfgText: string, gcode: string): Promise<{ error: string | null; lines: string[]; responses: string[] }> {
  const r = await runGcode(cfgText, gcode);
  const error = r.result.error;
  return { error, lines: error === null ? r.messages.map((m) => r.dict.formatMessage(m)) : [], responses: r.responses };
}

/** check-config errors for a config text. */
export async function configErrors(text: string): Promise<string[]> {
  const dir = new TempDir("stepline-extras-");
  try {
    const r = await checkConfig(dir.write("printer.cfg", text), { dicts: { mcu: DICT_PATH } });
    return r.errors;
  } finally {
    dir.remove();
  }
}

/** Execute queue_step / set_next_step_dir per stepper (64-bit clocks, MCU arithmetic). */
function stepTimes(messages: DecodedMessage[]): Map<string, Steps> {
  const byOid = new Map<number, StepExecutor>();
  const byPin = new Map<string, StepExecutor>();
  for (const m of messages) {
    const oid = m.params.oid as number;
    if (m.name === "config_stepper") {
      const ex = new StepExecutor();
      byOid.set(oid, ex);
      byPin.set(String(m.params.step_pin), ex);
    } else if (m.name === "set_next_step_dir") {
      byOid.get(oid)!.setNextDir(m.params.dir as number);
    } else if (m.name === "queue_step") {
      byOid.get(oid)!.queueStep(m.params.interval as number, m.params.count as number, m.params.add as number);
    }
  }
  const clockFreq = ATMEGA2560_DICT.clockFreq;
  return new Map([...byPin].map(([pin, ex]) => [pin, { times: ex.clocks.map((c) => c / clockFreq), dirs: ex.dirs }]));
}

/** Net position in steps (dir 1 = +1) after all steps, given the dir pin inversion. */
export function netSteps(s: Steps, invertDir = false): number {
  let n = 0;
  for (const d of s.dirs) n += (d ^ (invertDir ? 1 : 0)) ? 1 : -1;
  return n;
}

/** Average step interval over the middle half of the steps after `from` (the cruise). */
export function cruiseInterval(s: Steps, from: number): number {
  const n = s.times.length - from;
  const a = from + Math.floor(n / 4), b = from + Math.floor((3 * n) / 4);
  return (s.times[b]! - s.times[a]!) / (b - a);
}
