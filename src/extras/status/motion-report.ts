// [motion_report] (Klipper's extras/motion_report.py): live toolhead position and velocity
// from the trapq history for get_status, and dumps of recent queue_step commands and trapq
// segments (for the motion_report API endpoints and for logging around a shutdown).
//
// API: new MotionReport(host)
//   registerStepper(config, stepper)     (called for every stepper as it is built)
//   connect()                            look up toolhead/extruder/manual_stepper trapqs
//   getStatus(eventtime)                 live_position, live_velocity, live_extruder_velocity,
//                                        steppers, trapq (refreshed every 250 ms)
//   dumpSteppers / dumpTrapqs: Map name -> DumpStepper / DumpTrapQ
//   logShutdown(msg, details)            log steps and moves around an MCU shutdown

import type { ConfigSection } from "../../core/config/section.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import type { HistorySteps } from "../../motion/steps/stepcompress.ts";
import type { McuStepper } from "../../motion/stepper.ts";
import type { PullMove, TrapQ } from "../../motion/steps/trapq.ts";
import { NEVER_TIME } from "../../motion/steps/trapq.ts";

const STATUS_REFRESH_TIME = 0.250;

/** The clock conversions a stepper's MCU offers. */
interface ReportMcu { printTimeToClock(t: number): number; clockToPrintTime(c: number): number; }

export class DumpStepper {
  private lastBatchClock = 0;
  constructor(readonly stepper: McuStepper) {}

  /** queue_step history overlapping [startClock, endClock), oldest first. */
  getStepQueue(startClock: number, endClock: number): HistorySteps[] {
    return this.stepper.dumpSteps(Number.MAX_SAFE_INTEGER, startClock, endClock).reverse();
  }

  logSteps(data: HistorySteps[], log: (msg: string) => void): void {
    if (!data.length) return;
    const mcuName = (this.stepper.getMcu() as { name?: string }).name ?? "mcu";
    const out = [`Dumping stepper '${this.stepper.getName()}' (${mcuName}) ${data.length} queue_step:`];
    data.forEach((s, i) => out.push(`queue_step ${i}: t=${s.firstClock} p=${s.startPosition} i=${s.interval} c=${s.stepCount} a=${s.add}`));
    log(out.join("\n"));
  }

  /** The next batch of steps for the dump_stepper endpoint (empty object: nothing new). */
  processBatch(): Record<string, unknown> {
    let data = this.getStepQueue(this.lastBatchClock, Number.MAX_SAFE_INTEGER);
    if (!data.length) return {};
    const marker = data.findIndex((d) => !d.stepCount);
    if (marker >= 0) data = data.slice(0, marker + 1); // end the block at a set-position marker
    const mcu = this.stepper.getMcu() as unknown as ReportMcu;
    const first = data[0]!, last = data[data.length - 1]!;
    this.lastBatchClock = last.lastClock;
    return {
      data: data.map((s) => [s.interval, s.stepCount, s.add]),
      start_position: this.stepper.mcuToCommandedPosition(first.startPosition),
      start_mcu_position: first.startPosition, step_distance: this.stepper.getStepDist(),
      first_clock: first.firstClock, first_step_time: mcu.clockToPrintTime(first.firstClock),
      last_clock: last.lastClock, last_step_time: mcu.clockToPrintTime(last.lastClock),
    };
  }
}

type MoveTuple = [number, number, number, number, [number, number, number], [number, number, number]];

export class DumpTrapQ {
  private lastBatchMsg: MoveTuple | null = null;
  constructor(readonly name: string, readonly trapq: TrapQ, private readonly dripStart: () => number | null) {}

  /** Segments overlapping [startTime, endTime), oldest first. */
  extractTrapq(startTime: number, endTime: number): PullMove[] {
    return this.trapq.extractOld(startTime, endTime, Number.MAX_SAFE_INTEGER).reverse();
  }

  logTrapq(data: PullMove[], log: (msg: string) => void): void {
    if (!data.length) return;
    const f = (v: number) => v.toFixed(6);
    const out = [`Dumping trapq '${this.name}' ${data.length} moves:`];
    data.forEach((m, i) => out.push(`move ${i}: pt=${f(m.printTime)} mt=${f(m.moveT)} sv=${f(m.startV)} a=${f(m.accel)}`
      + ` sp=(${f(m.startX)},${f(m.startY)},${f(m.startZ)}) ar=(${f(m.xR)},${f(m.yR)},${f(m.zR)})`));
    log(out.join("\n"));
  }

  /** Commanded position and velocity at printTime, or null before any motion. */
  getTrapqPosition(printTime: number): { pos: [number, number, number]; velocity: number } | null {
    const m = this.trapq.extractOld(0., printTime, 1)[0];
    if (!m) return null;
    const moveTime = Math.max(0., Math.min(m.moveT, printTime - m.printTime));
    const dist = (m.startV + .5 * m.accel * moveTime) * moveTime;
    return {
      pos: [m.startX + m.xR * dist, m.startY + m.yR * dist, m.startZ + m.zR * dist],
      velocity: m.startV + m.accel * moveTime,
    };
  }

  /** The next batch of segments for the dump_trapq endpoint (empty object: nothing new). */
  processBatch(): Record<string, unknown> {
    const last = this.lastBatchMsg;
    const qtime = last ? last[0] + Math.min(last[1], 0.100) : 0.;
    let d: MoveTuple[] = this.extractTrapq(qtime, NEVER_TIME).map((m) =>
      [m.printTime, m.moveT, m.startV, m.accel, [m.startX, m.startY, m.startZ], [m.xR, m.yR, m.zR]]);
    const drip = this.dripStart();
    if (d.length && drip !== null) {
      // While homing, hold back segments that may still change
      while (d.length && d[d.length - 1]![0] + d[d.length - 1]![1] >= drip) d.pop();
    }
    if (d.length && last && JSON.stringify(d[0]) === JSON.stringify(last)) d = d.slice(1);
    if (!d.length) return {};
    this.lastBatchMsg = d[d.length - 1]!;
    return { data: d };
  }
}

/** What the report reads from the printer (a Printer-backed adapter in the module below). */
export interface MotionReportHost {
  toolheadTrapq(): TrapQ;
  /** Names of the toolhead's extra axes, in axis order (index 0 = axis 3, "" = none). */
  extraAxisNames(): string[];
  /** Other trapqs by name: extruders, manual steppers. */
  otherTrapqs(): [string, TrapQ][];
  estimatedPrintTime(eventtime: number): number;
  dripStartTime(): number | null;
  log(msg: string): void;
}

export class MotionReport {
  readonly dumpSteppers = new Map<string, DumpStepper>();
  readonly dumpTrapqs = new Map<string, DumpTrapQ>();
  private nextStatusTime = 0.;
  private lastStatus: Record<string, unknown> = {
    live_position: [0., 0., 0., 0.], live_velocity: 0., live_extruder_velocity: 0., steppers: [], trapq: [],
  };

  constructor(private readonly host: MotionReportHost) {}

  registerStepper(_config: ConfigSection, stepper: McuStepper): void {
    this.dumpSteppers.set(stepper.getName(), new DumpStepper(stepper));
  }

  connect(): void {
    const drip = () => this.host.dripStartTime();
    this.dumpTrapqs.set("toolhead", new DumpTrapQ("toolhead", this.host.toolheadTrapq(), drip));
    for (const [name, tq] of this.host.otherTrapqs()) this.dumpTrapqs.set(name, new DumpTrapQ(name, tq, drip));
    this.lastStatus = { ...this.lastStatus, steppers: [...this.dumpSteppers.keys()].sort(), trapq: [...this.dumpTrapqs.keys()].sort() };
  }

  getStatus(eventtime: number): Record<string, unknown> {
    if (eventtime < this.nextStatusTime || !this.dumpTrapqs.size) return this.lastStatus;
    this.nextStatusTime = eventtime + STATUS_REFRESH_TIME;
    const extra = this.host.extraAxisNames();
    const livePos = new Array<number>(3 + extra.length).fill(0.);
    const printTime = this.host.estimatedPrintTime(eventtime);
    let xyzVelocity = 0., eVelocity = 0.;
    const th = this.dumpTrapqs.get("toolhead")!.getTrapqPosition(printTime);
    if (th) { livePos[0] = th.pos[0]; livePos[1] = th.pos[1]; livePos[2] = th.pos[2]; xyzVelocity = th.velocity; }
    extra.forEach((name, i) => {
      if (!name) return;
      const r = this.dumpTrapqs.get(name)?.getTrapqPosition(printTime);
      if (!r) return;
      livePos[3 + i] = r.pos[0];
      if (i === 0) eVelocity = r.velocity;
    });
    this.lastStatus = { ...this.lastStatus, live_position: livePos, live_velocity: xyzVelocity, live_extruder_velocity: eVelocity };
    return this.lastStatus;
  }

  /** Log steps and trapq segments around the time of an MCU shutdown or step error. */
  logShutdown(shutdownTime: number, steppers: DumpStepper[], duration = 0.100): void {
    const start = shutdownTime - duration, end = shutdownTime + duration;
    for (const ds of steppers) {
      const mcu = ds.stepper.getMcu() as unknown as ReportMcu;
      ds.logSteps(ds.getStepQueue(Math.max(0, mcu.printTimeToClock(start)), mcu.printTimeToClock(end)), this.host.log);
    }
    for (const dt of this.dumpTrapqs.values()) dt.logTrapq(dt.extractTrapq(start, end), this.host.log);
    const r = this.dumpTrapqs.get("toolhead")?.getTrapqPosition(shutdownTime);
    if (r) this.host.log(`Requested toolhead position at shutdown time ${shutdownTime.toFixed(6)}: (${r.pos.join(", ")})`);
  }
}

interface HasTrapq { getTrapq?(): TrapQ | null; trapq?: TrapQ }

registerModule("motion_report", (_config: ConfigSection, printer: Printer) => {
  const report = new MotionReport({
    toolheadTrapq: () => printer.lookupObject("toolhead").trapq,
    extraAxisNames: () => printer.lookupObject("toolhead").extraAxes.map((ea) => ea.getName()),
    otherTrapqs: () => {
      const out: [string, TrapQ][] = [];
      for (let i = 0; i < 99; i++) {
        const name = i ? `extruder${i}` : "extruder";
        const ext = printer.lookupObject<HasTrapq>(name, null);
        if (!ext) break;
        const tq = ext.getTrapq?.() ?? null;
        if (tq) out.push([name, tq]);
      }
      for (const [name, ms] of printer.lookupObjects<HasTrapq>("manual_stepper")) {
        const tq = ms.getTrapq?.() ?? ms.trapq ?? null;
        if (tq) out.push([name, tq]);
      }
      return out;
    },
    estimatedPrintTime: (t) => printer.lookupObject<{ estimatedPrintTime(t: number): number }>("mcu").estimatedPrintTime(t),
    dripStartTime: () => printer.lookupObject("motion_queuing", null)?.checkDripTiming?.() ?? null,
    log: (msg) => console.log(msg),
  });
  printer.registerEventHandler("klippy:connect", () => report.connect());
  printer.registerEventHandler("klippy:analyze_shutdown", (msg: string, details: Record<string, unknown>) => {
    if (msg === "Internal error in stepcompress" && typeof details.step_gen_time === "number") {
      const ds = report.dumpSteppers.get(String(details.queue_name));
      report.logShutdown(details.step_gen_time, ds ? [ds] : [], 1.0);
    } else if (msg === "MCU shutdown" && typeof details.shutdown_clock === "number") {
      const mcu = printer.lookupObject<ReportMcu & object>(String(details.mcu), null);
      if (!mcu) return;
      const steppers = [...report.dumpSteppers.values()].filter((d) => (d.stepper.getMcu() as object) === mcu);
      report.logShutdown(mcu.clockToPrintTime(details.shutdown_clock), steppers);
    }
  });
  return report;
});
