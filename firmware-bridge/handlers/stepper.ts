// Stepper drivers (firmware stepper.c, "fully scheduled" variant): queue_step moves with
// interval/count/add, direction changes, step pulse spacing, stop on a trsync trigger.
// Each executed step moves the simulated axis behind the step pin.

import type { CommandDecl, Firmware, FirmwareModule } from "../firmware.ts";
import { createTimer, SF_DONE, SF_RESCHEDULE, timerIsBefore, type Timer, type TimerResult } from "../scheduler.ts";
import type { Axis } from "../sim/motion.ts";
import { i16, i8, u16, u32, u8 } from "./args.ts";
import type { TrsyncModule, TrsyncSignal } from "./trsync.ts";

interface StepperMove {
  interval: number;
  count: number;
  add: number;
  dirChange: boolean;
}

interface Stepper {
  timer: Timer;
  interval: number; // u32, interval of the next step
  add: number;
  count: number; // remaining timer events of the loaded move
  nextStepTime: number; // u32
  stepPulseTicks: number;
  stepPin: number;
  dirPin: number;
  stepLevel: number;
  dirLevel: number;
  invertStep: boolean;
  singleSched: boolean; // a step on every edge of the step pin (invert_step=-1)
  lastDir: boolean; // direction of the last queued move
  nextDir: boolean;
  needReset: boolean;
  position: number; // steps taken, + while the dir pin is high
  queue: StepperMove[];
  stopSignal: TrsyncSignal;
  axis: Axis;
}

const TYPE = "stepper";
const POSITION = "stepper_position oid=%c pos=%i";

export class StepperModule implements FirmwareModule {
  readonly responses = [POSITION];
  readonly commands: CommandDecl[];

  constructor(private readonly fw: Firmware, private readonly trsync: TrsyncModule) {
    this.commands = [
      {
        format: "config_stepper oid=%c step_pin=%c dir_pin=%c invert_step=%c step_pulse_ticks=%u",
        run: ([oid, stepPin, dirPin, invert, pulse]) => this.config(u8(oid), u8(stepPin), u8(dirPin), i8(invert), u32(pulse)),
      },
      {
        format: "queue_step oid=%c interval=%u count=%hu add=%hi",
        run: ([oid, interval, count, add]) => this.queueStep(this.lookup(oid), u32(interval), u16(count), i16(add)),
      },
      {
        format: "set_next_step_dir oid=%c dir=%c",
        run: ([oid, dir]) => {
          this.lookup(oid).nextDir = u8(dir) !== 0;
        },
      },
      {
        format: "reset_step_clock oid=%c clock=%u",
        run: ([oid, clock]) => {
          const s = this.lookup(oid);
          if (s.count) this.fw.shutdown("Can't reset time when stepper active");
          s.nextStepTime = s.timer.waketime = u32(clock);
          s.needReset = false;
        },
      },
      {
        format: "stepper_get_position oid=%c",
        run: ([oid]) => this.fw.sendf(POSITION, [u8(oid), this.lookup(oid).position | 0]),
      },
      {
        format: "stepper_stop_on_trigger oid=%c trsync_oid=%c",
        run: ([oid, tsOid]) => {
          const s = this.lookup(oid);
          this.trsync.addSignal(this.trsync.lookup(tsOid), s.stopSignal, () => this.stop(s));
        },
      },
    ];
  }

  onShutdown(): void {
    for (const [, s] of this.fw.oids.ofType<Stepper>(TYPE)) {
      s.queue.length = 0;
      this.stop(s);
    }
  }

  private lookup(oid: unknown): Stepper {
    return this.fw.oids.lookup<Stepper>(oid as number, TYPE);
  }

  private config(oid: number, stepPin: number, dirPin: number, invert: number, pulse: number): void {
    this.fw.checkPin(stepPin);
    this.fw.checkPin(dirPin);
    const s: Stepper = {
      timer: createTimer(() => this.stepEvent(s)),
      interval: 0, add: 0, count: 0, nextStepTime: 0,
      stepPulseTicks: pulse,
      stepPin, dirPin,
      stepLevel: invert > 0 ? 1 : 0,
      dirLevel: 0,
      invertStep: invert > 0,
      singleSched: invert < 0,
      lastDir: false, nextDir: false, needReset: false,
      position: 0,
      queue: [],
      stopSignal: { func: null },
      axis: this.fw.hardware.axisFor(stepPin),
    };
    this.fw.oids.alloc(oid, TYPE, s);
    this.fw.moves.setupQueue();
    this.fw.hardware.setOutput(stepPin, s.stepLevel, this.fw.boardTime);
    this.fw.hardware.setOutput(dirPin, 0, this.fw.boardTime);
  }

  private queueStep(s: Stepper, interval: number, count: number, add: number): void {
    this.fw.moves.alloc();
    if (!count) this.fw.shutdown("Invalid count parameter");
    let lastDir = s.lastDir;
    let dirChange = false;
    if (lastDir !== s.nextDir) {
      lastDir = !lastDir;
      dirChange = true;
    }
    const move = { interval, count, add, dirChange };
    if (s.count) {
      s.lastDir = lastDir;
      s.queue.push(move);
    } else if (s.needReset) {
      this.fw.moves.free();
    } else {
      s.lastDir = lastDir;
      s.queue.push(move);
      this.loadNext(s);
      this.fw.scheduler.add(s.timer);
    }
  }

  /** Loads the next queued move into the stepper (firmware stepper_load_next). */
  private loadNext(s: Stepper): TimerResult {
    const m = s.queue.shift();
    if (!m) {
      s.count = 0;
      return SF_DONE;
    }
    this.fw.moves.free();
    s.add = m.add;
    s.interval = (m.interval + m.add) >>> 0;
    const wasActive = s.count !== 0;
    let minNextTime = s.timer.waketime;
    s.nextStepTime = (s.nextStepTime + m.interval) >>> 0;
    s.timer.waketime = s.nextStepTime;
    s.count = s.singleSched ? m.count : m.count * 2;
    if (wasActive && timerIsBefore(s.nextStepTime, minNextTime)) {
      if (((s.nextStepTime - minNextTime) | 0) < -this.fw.timerFromUs(1000)) this.fw.shutdown("Stepper too far in past");
      s.timer.waketime = minNextTime;
    }
    if (m.dirChange) this.toggleDir(s);
    if (wasActive && m.dirChange) {
      // the direction pin must settle for a step pulse time before the next step
      let cur = this.fw.now32;
      if (s.singleSched && timerIsBefore(cur, minNextTime)) cur = minNextTime;
      minNextTime = (cur + s.stepPulseTicks) >>> 0;
      if (timerIsBefore(s.timer.waketime, minNextTime)) s.timer.waketime = minNextTime;
    }
    return SF_RESCHEDULE;
  }

  private stepEvent(s: Stepper): TimerResult {
    s.stepLevel ^= 1;
    if (s.singleSched || (s.stepLevel === 1) !== s.invertStep) {
      s.position += s.dirLevel ? 1 : -1;
      s.axis.step(s.dirLevel, this.fw.boardTime);
    }
    const minNextTime = (this.fw.now32 + s.stepPulseTicks) >>> 0;
    const count = s.count - 1;
    if (count & 1 && !s.singleSched) return this.rescheduleMin(s, count, minNextTime);
    if (count) {
      s.nextStepTime = (s.nextStepTime + s.interval) >>> 0;
      s.interval = (s.interval + s.add) >>> 0;
      if (timerIsBefore(s.nextStepTime, minNextTime)) return this.rescheduleMin(s, count, minNextTime);
      s.count = count;
      s.timer.waketime = s.nextStepTime;
      return SF_RESCHEDULE;
    }
    s.timer.waketime = minNextTime;
    return this.loadNext(s);
  }

  private rescheduleMin(s: Stepper, count: number, minNextTime: number): TimerResult {
    s.count = count;
    s.timer.waketime = minNextTime;
    return SF_RESCHEDULE;
  }

  private toggleDir(s: Stepper): void {
    s.dirLevel ^= 1;
    this.fw.hardware.setOutput(s.dirPin, s.dirLevel, this.fw.boardTime);
  }

  /** Stops all motion at once (trsync trigger or shutdown); the host must reset_step_clock next. */
  private stop(s: Stepper): void {
    this.fw.scheduler.del(s.timer);
    s.nextStepTime = s.timer.waketime = 0;
    s.count = 0;
    s.lastDir = s.nextDir = false;
    s.needReset = true;
    s.dirLevel = 0;
    this.fw.hardware.setOutput(s.dirPin, 0, this.fw.boardTime);
    if (!s.singleSched) {
      s.stepLevel = s.invertStep ? 1 : 0;
      this.fw.hardware.setOutput(s.stepPin, s.stepLevel, this.fw.boardTime);
    }
    this.fw.moves.free(s.queue.length);
    s.queue.length = 0;
  }
}
