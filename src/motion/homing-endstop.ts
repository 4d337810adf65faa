// MCU endstops and trigger synchronisation (Klipper's mcu.py MCU_endstop,
// TriggerDispatch, MCU_trsync). A homing move arms a trsync object on every
// MCU that drives one of the endstop's steppers; the endstop (or a timeout)
// triggers it and the MCU stops those steppers.
//
// In batch (file output) mode there is no MCU to answer: the commands are
// emitted exactly as in a live run and every homing move is taken to run to its
// end, with the endstop "triggering" at the move's end time.
import type { DataDictionary } from "../protocol/index.ts";

/** The parts of an Mcu the endstop code uses. */
export interface EndstopMcu {
  readonly name: string;
  dict: DataDictionary;
  createOid(): number;
  registerConfigCallback(cb: () => void): void;
  addConfigCmd(line: string, opts?: { isInit?: boolean; onRestart?: boolean }): void;
  allocCommandQueue(): unknown;
  sendCommand(encoded: Uint8Array, opts?: { minClock?: number; reqClock?: number; queue?: any }): void;
  printTimeToClock(printTime: number): number;
  secondsToClock(s: number): number;
  isBatch(): boolean;
}

/** A stepper as seen by homing. */
export interface HomingStepper {
  getOid(): number;
  getName(): string;
  getMcu(): { readonly name: string };
}

export const REASON_ENDSTOP_HIT = 1;
export const REASON_HOST_REQUEST = 2;
export const REASON_PAST_END_TIME = 3;
export const REASON_COMMS_TIMEOUT = 4;

/** Trsync timeout when several MCUs take part (fast report/extend cycle). */
const TRSYNC_TIMEOUT = 0.025;
const TRSYNC_SINGLE_MCU_TIMEOUT = 0.25;

/** A completion flag a homing move polls (Klipper's reactor completion). */
export class Completion {
  private result: unknown = undefined;
  private done = false;
  test(): boolean {
    return this.done;
  }
  complete(result: unknown): void {
    this.result = result;
    this.done = true;
  }
  /** Batch: the result must already be there (nothing else can complete it). */
  wait(): unknown {
    if (!this.done) throw new Error("internal error: waiting on an incomplete completion in batch mode");
    return this.result;
  }
}

/** Completes once every one of `completions` has (or early on a failure). */
export class MultiCompletion extends Completion {
  constructor(private readonly parts: Completion[]) {
    super();
  }
  override test(): boolean {
    return super.test() || this.parts.every((c) => c.test());
  }
}

/** Clocks go out as their low 32 bits (the MCU extends them against its own clock). */
const clock32 = (clock: number): number => clock % 4294967296;

function send(mcu: EndstopMcu, queue: unknown, name: string, params: Record<string, number>, reqClock = 0): void {
  mcu.sendCommand(mcu.dict.encodeCommand(name, params), { reqClock, queue });
}

/** One trsync object on one MCU. */
export class McuTrsync {
  readonly oid: number;
  readonly queue: unknown;
  private readonly steppers: HomingStepper[] = [];

  constructor(readonly mcu: EndstopMcu) {
    this.oid = mcu.createOid();
    this.queue = mcu.allocCommandQueue();
    mcu.registerConfigCallback(() => this.buildConfig());
  }

  addStepper(stepper: HomingStepper): void {
    if (!this.steppers.includes(stepper)) this.steppers.push(stepper);
  }
  getSteppers(): HomingStepper[] {
    return this.steppers.slice();
  }

  private buildConfig(): void {
    this.mcu.addConfigCmd(`config_trsync oid=${this.oid}`);
    this.mcu.addConfigCmd(`trsync_start oid=${this.oid} report_clock=0 report_ticks=0 expire_reason=0`, { onRestart: true });
  }

  start(printTime: number, reportOffset: number, expireTimeout: number): void {
    const mcu = this.mcu;
    const clock = mcu.printTimeToClock(printTime);
    const expireTicks = mcu.secondsToClock(expireTimeout);
    const expireClock = clock + expireTicks;
    const reportTicks = mcu.secondsToClock(expireTimeout * 0.3);
    const reportClock = clock + Math.trunc(reportTicks * reportOffset + 0.5);
    send(mcu, this.queue, "trsync_start",
      { oid: this.oid, report_clock: clock32(reportClock), report_ticks: reportTicks, expire_reason: REASON_COMMS_TIMEOUT }, clock);
    for (const s of this.steppers) send(mcu, this.queue, "stepper_stop_on_trigger", { oid: s.getOid(), trsync_oid: this.oid });
    send(mcu, this.queue, "trsync_set_timeout", { oid: this.oid, clock: clock32(expireClock) }, clock);
  }

  /** End of the homing move: the reason it stopped. */
  stop(): number {
    if (this.mcu.isBatch()) return REASON_ENDSTOP_HIT;
    throw new Error(`MCU '${this.mcu.name}': live trsync query is not supported by this build`);
  }
}

/** The trsync objects of one endstop (one per MCU its steppers live on). */
export class TriggerDispatch {
  private readonly trsyncs: McuTrsync[];
  private completion: Completion | null = null;

  constructor(private readonly mcu: EndstopMcu) {
    this.trsyncs = [new McuTrsync(mcu)];
  }
  getOid(): number {
    return this.trsyncs[0]!.oid;
  }
  getCommandQueue(): unknown {
    return this.trsyncs[0]!.queue;
  }

  addStepper(stepper: HomingStepper): void {
    const smcu = stepper.getMcu();
    let trsync = this.trsyncs.find((t) => t.mcu.name === smcu.name);
    if (!trsync) {
      trsync = new McuTrsync(smcu as EndstopMcu);
      this.trsyncs.push(trsync);
    }
    trsync.addStepper(stepper);
    // Multi-MCU homing of a shared axis (stepper_z + stepper_z1 on two MCUs) is not supported
    const sname = stepper.getName();
    if (sname.startsWith("stepper_")) {
      for (const ot of this.trsyncs) {
        if (ot === trsync) continue;
        for (const s of ot.getSteppers()) {
          if (s.getName().startsWith(sname.slice(0, 9)))
            throw new Error("Multi-mcu homing not supported on multi-mcu shared axis");
        }
      }
    }
  }
  getSteppers(): HomingStepper[] {
    return this.trsyncs.flatMap((t) => t.getSteppers());
  }

  start(printTime: number): Completion {
    this.completion = new Completion();
    const expireTimeout = this.trsyncs.length === 1 ? TRSYNC_SINGLE_MCU_TIMEOUT : TRSYNC_TIMEOUT;
    this.trsyncs.forEach((t, i) => t.start(printTime, i / this.trsyncs.length, expireTimeout));
    return this.completion;
  }

  waitEnd(_endTime: number): void {
    // Batch: the move always runs to its end and "triggers" there
    if (this.mcu.isBatch()) this.completion?.complete(true);
    this.completion?.wait();
  }

  stop(): number {
    const res = this.trsyncs.map((t) => t.stop());
    const err = res.find((r) => r >= REASON_COMMS_TIMEOUT);
    return err ?? res[0]!;
  }
}

export interface EndstopPinParams {
  pin: string;
  pullup: number;
  invert: number;
}

/** An endstop input on an MCU (config_endstop / endstop_home). */
export class McuEndstop {
  readonly oid: number;
  private readonly dispatch: TriggerDispatch;
  private restTicks = 0;

  constructor(readonly mcu: EndstopMcu, private readonly params: EndstopPinParams) {
    this.oid = mcu.createOid();
    mcu.registerConfigCallback(() => this.buildConfig());
    this.dispatch = new TriggerDispatch(mcu);
  }

  getMcu(): EndstopMcu {
    return this.mcu;
  }
  addStepper(stepper: HomingStepper): void {
    this.dispatch.addStepper(stepper);
  }
  getSteppers(): HomingStepper[] {
    return this.dispatch.getSteppers();
  }

  private buildConfig(): void {
    this.mcu.addConfigCmd(`config_endstop oid=${this.oid} pin=${this.params.pin} pull_up=${this.params.pullup}`);
    this.mcu.addConfigCmd(
      `endstop_home oid=${this.oid} clock=0 sample_ticks=0 sample_count=0 rest_ticks=0 pin_value=0 trsync_oid=0 trigger_reason=0`,
      { onRestart: true },
    );
  }

  homeStart(printTime: number, sampleTime: number, sampleCount: number, restTime: number, triggered = true): Completion {
    const mcu = this.mcu;
    const clock = mcu.printTimeToClock(printTime);
    const restTicks = mcu.printTimeToClock(printTime + restTime) - clock;
    this.restTicks = restTicks;
    const completion = this.dispatch.start(printTime);
    send(mcu, this.dispatch.getCommandQueue(), "endstop_home", {
      oid: this.oid,
      clock: clock32(clock),
      sample_ticks: mcu.secondsToClock(sampleTime),
      sample_count: sampleCount,
      rest_ticks: restTicks,
      pin_value: (triggered ? 1 : 0) ^ this.params.invert,
      trsync_oid: this.dispatch.getOid(),
      trigger_reason: REASON_ENDSTOP_HIT,
    }, clock);
    return completion;
  }

  /** Wait for the end of homing; the trigger time (0 if it did not trigger). */
  homeWait(homeEndTime: number): number {
    this.dispatch.waitEnd(homeEndTime);
    send(this.mcu, this.dispatch.getCommandQueue(), "endstop_home", {
      oid: this.oid, clock: 0, sample_ticks: 0, sample_count: 0, rest_ticks: 0, pin_value: 0, trsync_oid: 0, trigger_reason: 0,
    });
    const res = this.dispatch.stop();
    if (res >= REASON_COMMS_TIMEOUT) throw new Error("Communication timeout during homing");
    if (res !== REASON_ENDSTOP_HIT) return 0;
    if (this.mcu.isBatch()) return homeEndTime;
    throw new Error(`MCU '${this.mcu.name}': live endstop query is not supported by this build`);
  }

  /** Current endstop state (batch: never triggered). */
  queryEndstop(_printTime: number): number {
    if (this.mcu.isBatch()) return 0;
    throw new Error(`MCU '${this.mcu.name}': live endstop query is not supported by this build`);
  }
}
