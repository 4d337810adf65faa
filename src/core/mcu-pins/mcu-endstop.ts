// MCU endstops and trigger synchronisation (Klipper's mcu.py MCU_endstop,
// TriggerDispatch, MCU_trsync, and chelper's trdispatch). A homing move arms a
// trsync object on every MCU that drives one of the endstop's steppers; the
// endstop (or a timeout) triggers it and the MCU stops those steppers. While
// homing, each MCU reports trsync_state; the host keeps extending every
// trsync's timeout as long as all of them report, and spreads a trigger from
// one MCU to the others.
//
// In batch (file output) mode there is no MCU to answer: the commands are
// emitted exactly as in a live run and every homing move is taken to run to its
// end, with the endstop "triggering" at the move's end time.
import type { DataDictionary, DecodedMessage } from "../../protocol/index.ts";
import { type MaybePromise, runMaybeAsync } from "../../util/maybe-async.ts";

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
  clockToPrintTime(clock: number): number;
  clock32ToClock64(clock32: number): number;
  secondsToClock(s: number): number;
  isBatch(): boolean;
  /** Live: responses to a message (oid-specific); null removes the handler. */
  registerResponse(name: string, oid: number | null, cb: ((msg: DecodedMessage) => void) | null): void;
  /** Live: send a command and resolve with its response. */
  query(line: string, response: string, opts?: { oid?: number | null; minClock?: number; queue?: any }): Promise<DecodedMessage>;
  /** Live: called once when the MCU stops (shut down, restarted, lost). */
  onShutdown?(cb: () => void): void;
}

/** A stepper as seen by homing. */
export interface HomingStepper {
  getOid(): number;
  getName(): string;
  getMcu(): { readonly name: string };
  /** Live: the MCU dropped queued steps; resynchronise the step position. */
  noteHomingEnd?(): void | Promise<void>;
}

export const REASON_ENDSTOP_HIT = 1;
export const REASON_HOST_REQUEST = 2;
export const REASON_PAST_END_TIME = 3;
export const REASON_COMMS_TIMEOUT = 4;

/** Trsync timeout when several MCUs take part (fast report/extend cycle). */
const TRSYNC_TIMEOUT = 0.025;
const TRSYNC_SINGLE_MCU_TIMEOUT = 0.25;

/** Set once when a homing move's trigger arrives (value: true = failure). */
export class Completion {
  private result: unknown = undefined;
  private done = false;
  private waiters: ((v: unknown) => void)[] = [];
  test(): boolean {
    return this.done;
  }
  complete(result: unknown): void {
    if (this.done) return;
    this.result = result;
    this.done = true;
    for (const w of this.waiters.splice(0)) w(result);
  }
  /** The result now if it is there, otherwise a Promise of it. */
  wait(): MaybePromise<unknown> {
    if (this.done) return this.result;
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** Completes once every one of `completions` has. */
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

/** Shared state of the trsyncs of one homing move (chelper's trdispatch). */
interface Dispatch {
  canTrigger: boolean;
  reason: number;
  trsyncs: McuTrsync[];
}

/** One trsync object on one MCU. */
export class McuTrsync {
  readonly oid: number;
  readonly queue: unknown;
  private readonly steppers: HomingStepper[] = [];
  private completion: Completion | null = null;
  private homeEndClock: number | null = null;
  // Timeout extension (trdispatch): in print time, per MCU clock
  lastStatusTime = 0;
  private expireClock = 0;
  private expireTicks = 0;
  private minExtendTicks = 0;

  constructor(readonly mcu: EndstopMcu) {
    this.oid = mcu.createOid();
    this.queue = mcu.allocCommandQueue();
    mcu.registerConfigCallback(() => this.buildConfig());
    // A shut-down MCU never reports trsync_state again: end the wait (as Klipper's MCU_trsync does)
    mcu.onShutdown?.(() => {
      const tc = this.completion;
      this.completion = null;
      tc?.complete(false);
    });
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

  start(printTime: number, reportOffset: number, completion: Completion, expireTimeout: number, dispatch: Dispatch): void {
    const mcu = this.mcu;
    this.completion = completion;
    this.homeEndClock = null;
    const clock = mcu.printTimeToClock(printTime);
    const expireTicks = mcu.secondsToClock(expireTimeout);
    const expireClock = clock + expireTicks;
    const reportTicks = mcu.secondsToClock(expireTimeout * 0.3);
    const reportClock = clock + Math.trunc(reportTicks * reportOffset + 0.5);
    this.lastStatusTime = printTime;
    this.expireClock = expireClock;
    this.expireTicks = expireTicks;
    this.minExtendTicks = Math.trunc(reportTicks * 0.8 + 0.5);
    if (!mcu.isBatch()) mcu.registerResponse("trsync_state", this.oid, (msg) => this.handleState(msg, dispatch));
    send(mcu, this.queue, "trsync_start",
      { oid: this.oid, report_clock: clock32(reportClock), report_ticks: reportTicks, expire_reason: REASON_COMMS_TIMEOUT }, clock);
    for (const s of this.steppers) send(mcu, this.queue, "stepper_stop_on_trigger", { oid: s.getOid(), trsync_oid: this.oid });
    send(mcu, this.queue, "trsync_set_timeout", { oid: this.oid, clock: clock32(expireClock) }, clock);
  }

  private handleState(msg: DecodedMessage, d: Dispatch): void {
    const canTrigger = msg.params.can_trigger as number;
    const clock = this.mcu.clock32ToClock64(msg.params.clock as number);
    if (d.canTrigger) {
      if (!canTrigger) {
        // Triggered or timed out here: stop every MCU
        d.canTrigger = false;
        for (const t of d.trsyncs) send(t.mcu, t.queue, "trsync_trigger", { oid: t.oid, reason: d.reason });
      } else {
        this.lastStatusTime = this.mcu.clockToPrintTime(clock);
        extendTimeouts(d.trsyncs);
      }
    }
    if (!canTrigger) {
      const tc = this.completion;
      this.completion = null;
      tc?.complete((msg.params.trigger_reason as number) >= REASON_COMMS_TIMEOUT);
    } else if (this.homeEndClock !== null && clock >= this.homeEndClock) {
      this.homeEndClock = null;
      send(this.mcu, this.queue, "trsync_trigger", { oid: this.oid, reason: REASON_PAST_END_TIME });
    }
  }

  /** Keep this trsync alive until `statusTime` (plus its timeout) if that is a real extension. */
  extendTo(statusTime: number): void {
    const expire = this.mcu.printTimeToClock(statusTime) + this.expireTicks;
    if (expire - this.expireClock >= this.minExtendTicks) {
      this.expireClock = expire;
      send(this.mcu, this.queue, "trsync_set_timeout", { oid: this.oid, clock: clock32(expire) }, expire);
    }
  }

  setHomeEndTime(homeEndTime: number): void {
    this.homeEndClock = this.mcu.printTimeToClock(homeEndTime);
  }

  /** End of the homing move: the reason it stopped. */
  stop(): MaybePromise<number> {
    this.completion = null;
    if (this.mcu.isBatch()) return REASON_ENDSTOP_HIT;
    this.mcu.registerResponse("trsync_state", this.oid, null);
    return runMaybeAsync(this.stopLive());
  }

  private *stopLive(): Generator<unknown, number, unknown> {
    const params = (yield this.mcu.query(`trsync_trigger oid=${this.oid} reason=${REASON_HOST_REQUEST}`, "trsync_state",
      { oid: this.oid, queue: this.queue })) as DecodedMessage;
    for (const s of this.steppers) yield s.noteHomingEnd?.();
    return params.params.trigger_reason as number;
  }
}

/** Every MCU may run until the slowest other one last reported (plus its timeout). */
function extendTimeouts(trsyncs: McuTrsync[]): void {
  let minTime = Infinity, nextMinTime = Infinity;
  let minT: McuTrsync | null = null;
  for (const t of trsyncs) {
    const st = t.lastStatusTime;
    if (st < nextMinTime) {
      nextMinTime = st;
      if (st < minTime) {
        nextMinTime = minTime;
        minTime = st;
        minT = t;
      }
    }
  }
  if (nextMinTime === Infinity) nextMinTime = minTime;
  for (const t of trsyncs) t.extendTo(t === minT ? nextMinTime : minTime);
}

/** The trsync objects of one endstop (one per MCU its steppers live on). */
export class TriggerDispatch {
  private readonly trsyncs: McuTrsync[];
  private completion: Completion | null = null;
  private readonly dispatch: Dispatch;

  constructor(private readonly mcu: EndstopMcu) {
    this.trsyncs = [new McuTrsync(mcu)];
    this.dispatch = { canTrigger: false, reason: REASON_HOST_REQUEST, trsyncs: this.trsyncs };
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
    const completion = (this.completion = new Completion());
    const expireTimeout = this.trsyncs.length === 1 ? TRSYNC_SINGLE_MCU_TIMEOUT : TRSYNC_TIMEOUT;
    this.trsyncs.forEach((t, i) => t.start(printTime, i / this.trsyncs.length, completion, expireTimeout, this.dispatch));
    this.dispatch.canTrigger = true;
    this.dispatch.reason = REASON_HOST_REQUEST;
    return completion;
  }

  /** Wait for the trigger (batch: the move always runs to its end and "triggers" there). */
  waitEnd(endTime: number): MaybePromise<unknown> {
    this.trsyncs[0]!.setHomeEndTime(endTime);
    if (this.mcu.isBatch()) this.completion?.complete(true);
    return this.completion?.wait();
  }

  stop(): MaybePromise<number> {
    this.dispatch.canTrigger = false;
    return runMaybeAsync(this.stopSteps());
  }

  private *stopSteps(): Generator<unknown, number, unknown> {
    const res: number[] = [];
    for (const t of this.trsyncs) res.push((yield t.stop()) as number);
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
  homeWait(homeEndTime: number): MaybePromise<number> {
    return runMaybeAsync(this.homeWaitSteps(homeEndTime));
  }

  private *homeWaitSteps(homeEndTime: number): Generator<unknown, number, unknown> {
    yield this.dispatch.waitEnd(homeEndTime);
    send(this.mcu, this.dispatch.getCommandQueue(), "endstop_home", {
      oid: this.oid, clock: 0, sample_ticks: 0, sample_count: 0, rest_ticks: 0, pin_value: 0, trsync_oid: 0, trigger_reason: 0,
    });
    const res = (yield this.dispatch.stop()) as number;
    if (res >= REASON_COMMS_TIMEOUT) throw new Error("Communication timeout during homing");
    if (res !== REASON_ENDSTOP_HIT) return 0;
    if (this.mcu.isBatch()) return homeEndTime;
    // The MCU tells when it last sampled the pin; the trigger was rest_ticks before
    const state = (yield this.mcu.query(`endstop_query_state oid=${this.oid}`, "endstop_state",
      { oid: this.oid, queue: this.dispatch.getCommandQueue() })) as DecodedMessage;
    const nextClock = this.mcu.clock32ToClock64(state.params.next_clock as number);
    return this.mcu.clockToPrintTime(nextClock - this.restTicks);
  }

  /** Current endstop state (batch: never triggered). */
  queryEndstop(printTime: number): MaybePromise<number> {
    if (this.mcu.isBatch()) return 0;
    const minClock = this.mcu.printTimeToClock(printTime);
    return this.mcu.query(`endstop_query_state oid=${this.oid}`, "endstop_state",
      { oid: this.oid, minClock, queue: this.dispatch.getCommandQueue() })
      .then((m) => (m.params.pin_value as number) ^ this.params.invert);
  }
}
