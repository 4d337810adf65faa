// A printer on simulated time for closed-loop heater tests: a deterministic event loop (timers run in
// time order as the test advances the clock), a real Mcu whose print time follows that clock, and a
// first-order thermal plant per heater fed by the heater's PWM and read back as analog_in_state
// reports every 0.3 s, as the MCU would send them.
import { NEVER, type Reactor, type ReactorTimer } from "../../src/core/reactor.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "../../src/extras/heaters/modules.ts";
import "../../src/extras/fans/modules.ts";
import "../../src/extras/outputs/modules.ts";
import { PrinterConfig } from "../../src/core/config/index.ts";
import type { Heater } from "../../src/extras/heaters/heater.ts";
import { Printer } from "../../src/core/printer.ts";
import { Mcu } from "../../src/mcu/mcu.ts";
import { loadDict } from "../support/reference.ts";
import { ThermalPlant } from "./thermal-plant.ts";
import { decodeLines } from "../support/serial.ts";
import { adcSum, analogInState, heaterAdc } from "./adc-report.ts";

const dict = loadDict("atmega2560.dict");

export class SimReactor implements Reactor {
  now = 0;
  private timers = new Map<string, { when: number; cb: () => void; seq: number }>();
  private seq = 0;
  monotonic(): number { return this.now; }
  yieldNow(): void {}
  setTimer(name: string, when: number, cb: () => void): void {
    this.timers.set(name, { when, cb, seq: this.seq++ });
  }
  cancelTimer(name: string): void { this.timers.delete(name); }
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
    super("mcu", { batch: { dict, outputPath }, log: { info: () => {}, warn: () => {} } });
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

export async function simPrinter(cfgText: string) {
  const dir = mkdtempSync(join(tmpdir(), "stepline-sim-printer-"));
  const reactor = new SimReactor();
  const printer = new Printer({ config: PrinterConfig.fromText(cfgText) });
  const outputPath = join(dir, "out.serial");
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
      return decodeLines(dict, outputPath);
    },
    async close() {
      await mcu.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
