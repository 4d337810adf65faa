// A virtual Klipper MCU: firmware core + serial link + simulated board, driven by a real-time
// clock (or a manual one for deterministic tests). Bytes go in with feed(), framed responses come
// out through onOutput(). See README.md for the standalone pty mode.

import { ADC_MAX, Firmware, HF_IN_SHUTDOWN, type ExecutedCommand, type FirmwareModule } from "./firmware.ts";
import { AnalogInModule } from "./handlers/analog-in.ts";
import { DigitalOutModule } from "./handlers/digital-out.ts";
import { EndstopModule } from "./handlers/endstop.ts";
import { PwmOutModule } from "./handlers/pwm-out.ts";
import { StepperModule } from "./handlers/stepper.ts";
import { TrsyncModule } from "./handlers/trsync.ts";
import { FirmwareLink, type BlockOutcome, type LinkStats } from "./link.ts";
import { pinNumber } from "./pins.ts";
import type { ShutdownReason } from "./reasons.ts";
import { Hardware, type HardwareConfig, type SensorFault } from "./sim/hardware.ts";

export interface VirtualMcuOptions {
  /** MCU clock in Hz (a whole number of MHz, like real boards); default 72 MHz. */
  clockFreq?: number;
  /** The MCU constant in the dictionary; default "stepline-vmcu". */
  mcu?: string;
  /** Move nodes available after finalize_config (reported as move_count); default 1024. */
  moveCount?: number;
  /** Adds SERIAL_BAUD to the dictionary (as UART builds of real firmware do). */
  serialBaud?: number;
  /** Host receive window constant; default 192 (the firmware's receive buffer). */
  receiveWindow?: number;
  hardware?: HardwareConfig;
  /** Names the hardware configuration in error messages (e.g. its file); default "hardware". */
  hardwareSource?: string;
  /** Record every executed command in `executed` (tests); default false. */
  logCommands?: boolean;
  /** "realtime" (default): the clock follows host time once start() is called; "manual": advance() moves it. */
  clock?: "realtime" | "manual";
  /** Seconds the board has been up when created (tests of clocks past 2^32 ticks); default 0. */
  uptime?: number;
}

/** A duplex byte stream (the shape of src/mcu/transport's ByteTransport, e.g. one end of createStreamPair). */
export interface ByteDuplex {
  write(data: Uint8Array): void;
  onData(cb: (chunk: Uint8Array) => void): void;
  onClose?(cb: (err?: Error) => void): void;
}

const DEFAULTS = { clockFreq: 72_000_000, mcu: "stepline-vmcu", moveCount: 1024, receiveWindow: 192 };

export class VirtualMcu {
  readonly hardware: Hardware;
  readonly clockFreq: number;
  private fw!: Firmware;
  private readonly link: FirmwareLink;
  private readonly manual: boolean;
  private listeners: ((bytes: Uint8Array) => void)[] = [];
  private pending: Uint8Array[] = [];
  private bootNs = Bun.nanoseconds(); // host time (ns) of the last (re)boot, realtime mode
  private manualTicks = 0; // ticks since the last (re)boot, manual mode
  private epochTicks = 0; // board time (ticks since creation) at the last (re)boot
  private loop: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private resetRequested = false;
  private readonly executedLog: ExecutedCommand[] = [];

  constructor(private readonly options: VirtualMcuOptions = {}) {
    const clockFreq = options.clockFreq ?? DEFAULTS.clockFreq;
    if (!Number.isInteger(clockFreq) || clockFreq < 1_000_000 || clockFreq > 1_000_000_000 || clockFreq % 1_000_000)
      throw new Error(`clockFreq must be a whole number of MHz between 1 and 1000 MHz, got ${clockFreq}`);
    const moveCount = options.moveCount ?? DEFAULTS.moveCount;
    if (!Number.isInteger(moveCount) || moveCount < 1 || moveCount > 0xffff)
      throw new Error(`moveCount must be an integer 1..65535, got ${moveCount}`);
    this.clockFreq = clockFreq;
    this.manual = options.clock === "manual";
    const uptime = options.uptime ?? 0;
    if (!(uptime >= 0)) throw new Error(`uptime must be a non-negative number of seconds, got ${uptime}`);
    this.bootNs -= Math.round(uptime * 1e9);
    this.manualTicks = Math.round(uptime * clockFreq);
    this.link = new FirmwareLink((p) => this.dispatch(p), (b) => this.pending.push(b));
    this.hardware = new Hardware(options.hardware ?? {}, pinNumber, ADC_MAX, (t) => t / clockFreq, options.hardwareSource);
    this.boot();
  }

  // ---- transport ---------------------------------------------------------------------------

  /** Bytes from the host. Commands run at the moment they arrive (after every timer due before). */
  feed(bytes: Uint8Array): void {
    const now = this.clockTicks();
    const busyStart = Bun.nanoseconds();
    this.fw.runTimers(now);
    this.link.receive(bytes);
    this.noteBusy(busyStart);
    this.flush();
    this.reschedule();
  }

  /** Receives framed bytes for the host (acks, naks, responses). */
  onOutput(cb: (bytes: Uint8Array) => void): () => void {
    this.listeners.push(cb);
    return () => (this.listeners = this.listeners.filter((l) => l !== cb));
  }

  /** Serves the MCU on a duplex stream: its data is fed in, output is written to it until it closes. */
  attach(t: ByteDuplex): () => void {
    let attached = true;
    const detach = this.onOutput((bytes) => {
      if (!attached) return;
      try {
        t.write(bytes);
      } catch {
        attached = false; // the stream closed under us: like an unplugged cable, output is lost
        detach();
      }
    });
    t.onData((chunk) => attached && this.feed(chunk));
    t.onClose?.(() => {
      attached = false;
      detach();
    });
    return () => {
      attached = false;
      detach();
    };
  }

  // ---- clock -------------------------------------------------------------------------------

  /**
   * Runs timers from a ~1 ms loop (realtime clock). The clock itself counts from creation either
   * way; without start() timers only run when bytes arrive.
   */
  start(): void {
    if (this.manual) throw new Error("vmcu: start() needs the realtime clock; use advance() with clock: \"manual\"");
    if (this.running) return;
    this.running = true;
    this.reschedule();
  }

  stop(): void {
    this.running = false;
    if (this.loop) clearTimeout(this.loop);
    this.loop = null;
  }

  /** Manual clock: moves time forward and runs every timer due. */
  advance(seconds: number): void {
    if (!this.manual) throw new Error("vmcu: advance() is only for clock: \"manual\"");
    if (!(seconds >= 0)) throw new Error(`vmcu: advance() needs a non-negative number of seconds, got ${seconds}`);
    this.manualTicks += Math.round(seconds * this.clockFreq);
    this.fw.runTimers(this.manualTicks);
    this.flush();
  }

  /** The MCU clock now (absolute ticks since boot; the wire carries it modulo 2^32). */
  clockTicks(): number {
    if (this.manual) return this.manualTicks;
    return Math.floor(((Bun.nanoseconds() - this.bootNs) * this.clockFreq) / 1e9);
  }

  // ---- inspection ------------------------------------------------------------------------------

  get firmware(): Firmware {
    return this.fw;
  }
  get dictionaryText(): string {
    return this.fw.dictionary.text;
  }
  get linkStats(): LinkStats {
    return this.link.stats;
  }
  /** Commands executed since creation (with logCommands), across resets. */
  get executed(): readonly ExecutedCommand[] {
    return this.executedLog;
  }
  get shutdownReason(): ShutdownReason | null {
    return this.fw.lastShutdown;
  }
  /** Axis position (steps) of the stepper on this step pin. */
  position(stepPin: string): number {
    return this.hardware.axisFor(pinNumber(stepPin, "position()")).position;
  }
  /** Output value of a pin: 0/1 for digital outputs, the duty for PWM; undefined if never driven. */
  output(pin: string): number | undefined {
    return this.hardware.output(pinNumber(pin, "output()"));
  }
  /** Fault injection: disconnect ("open") or short a sensor's wire on an ADC pin; null repairs it. */
  setSensorFault(adcPin: string, fault: SensorFault | null): void {
    this.hardware.setSensorFault(pinNumber(adcPin, "setSensorFault()"), fault);
  }
  /** Temperature of the heated body whose thermistor is on this pin. */
  temperature(thermistorPin: string): number | undefined {
    return this.hardware.temperature(pinNumber(thermistorPin, "temperature()"), this.fw.boardTime);
  }

  // ---- internals -------------------------------------------------------------------------------

  private boot(): void {
    const o = this.options;
    const modules: ((fw: Firmware) => FirmwareModule)[] = [];
    let trsync!: TrsyncModule;
    modules.push(
      (fw) => (trsync = new TrsyncModule(fw)),
      (fw) => new StepperModule(fw, trsync),
      (fw) => new EndstopModule(fw, trsync),
      (fw) => new DigitalOutModule(fw),
      (fw) => new PwmOutModule(fw),
      (fw) => new AnalogInModule(fw),
      () => ({ commands: [{ format: "reset", flags: HF_IN_SHUTDOWN, run: () => void (this.resetRequested = true) }] }),
    );
    this.fw = new Firmware(
      {
        clockFreq: this.clockFreq,
        mcu: o.mcu ?? DEFAULTS.mcu,
        moveCount: o.moveCount ?? DEFAULTS.moveCount,
        serialBaud: o.serialBaud,
        receiveWindow: o.receiveWindow ?? DEFAULTS.receiveWindow,
        logCommands: o.logCommands ?? false,
      },
      this.hardware,
      this.epochTicks,
      modules,
      this.executedLog,
    );
    this.fw.output = (payload) => this.link.send(payload);
  }

  /** Runs a block; the `reset` command reboots the firmware (clock from 0, no config) but not the board. */
  private dispatch(payload: Uint8Array): BlockOutcome {
    const ok = this.fw.dispatchBlock(payload);
    if (!this.resetRequested) return ok ? "ack" : "nak";
    this.resetRequested = false;
    this.epochTicks = this.fw.boardTime;
    if (this.manual) this.manualTicks = 0;
    else this.bootNs = Bun.nanoseconds();
    this.link.reset();
    this.boot();
    this.fw.sendf("starting", []);
    return "reboot";
  }

  private noteBusy(startNs: number): void {
    const ticksPerNs = this.clockFreq / 1e9;
    this.fw.noteBusy((Bun.nanoseconds() - startNs) * ticksPerNs);
  }

  private flush(): void {
    if (!this.pending.length) return;
    const chunks = this.pending;
    this.pending = [];
    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    for (const l of this.listeners) l(bytes);
  }

  private pump(): void {
    this.loop = null;
    const busyStart = Bun.nanoseconds();
    this.fw.runTimers(this.clockTicks());
    this.noteBusy(busyStart);
    this.flush();
    this.reschedule();
  }

  /** Realtime loop: wakes for the next timer (at least 1 ms apart, at most 100 ms). */
  private reschedule(): void {
    if (!this.running) return;
    if (this.loop) clearTimeout(this.loop);
    const next = this.fw.scheduler.nextWake();
    const waitMs = next === undefined ? 100 : ((next - this.clockTicks()) / this.clockFreq) * 1000;
    this.loop = setTimeout(() => this.pump(), Math.min(100, Math.max(1, Math.ceil(waitMs))));
  }
}
