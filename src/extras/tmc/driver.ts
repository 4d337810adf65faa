// What every [tmcXXXX stepper_name] section shares (Klipper's tmc.py facts): microstep and
// interpolation from the stepper section, velocity thresholds converted to TSTEP units, register
// init at connect and on every motor enable, the "virtual enable" via TOFF for drivers without an
// enable pin, driver error checks while enabled, stepper phase tracking, sensorless-homing
// virtual endstop pins and the SET_TMC_CURRENT / SET_TMC_FIELD / INIT_TMC / DUMP_TMC commands.
import { ConfigError } from "../../core/config/errors.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { GCodeError } from "../../core/gcode/errors.ts";
import { hostTime, startPeriodic } from "../../core/host-timers.ts";
import { PinError, type PinChip, type PinParams } from "../../core/pins.ts";
import type { Printer } from "../../core/printer.ts";
import { parseStepDistance } from "../../motion/stepper.ts";
import type { CurrentHelper } from "./current.ts";
import { TmcFields } from "./fields.ts";
import type { DriverRegisters } from "./registers.ts";
import { type MaybePromise, runMaybeAsync } from "../../util/maybe-async.ts";
import type { RegisterRead, TmcBus } from "./tmc-bus.ts";

const MICROSTEPS: Record<string, number> = { "256": 0, "128": 1, "64": 2, "32": 3, "16": 4, "8": 5, "4": 6, "2": 7, "1": 8 };
const MAX_TSTEP = 0xfffff;

interface TmcStepper {
  getName(): string;
  getStepDist(): number;
  setupDefaultPulseDuration(pulseDuration: number, stepBothEdge: boolean): void;
  getPulseDuration(): [number | null, boolean];
  getDirInverted(): [boolean, boolean];
  getMcuPosition(): number;
  mcuToCommandedPosition(mcuPos: number): number;
}
interface Toolhead {
  getLastMoveTime(): number;
  waitMoves?(): MaybePromise<void>;
}

/** TSTEP value of a velocity (mm/s) for a step distance at the driver's microstep setting. */
export function tstepThreshold(frequency: number, stepDist: number, mres: number, velocity: number): number {
  if (velocity <= 0) return MAX_TSTEP;
  const threshold = Math.trunc((frequency * (stepDist / 2 ** mres)) / velocity + 0.5);
  return Math.max(0, Math.min(MAX_TSTEP, threshold));
}

export interface TmcDriverOptions {
  registers: DriverRegisters;
  /** Build the bus (allocates MCU oids, so it comes first, as in Klipper). */
  makeBus(fields: TmcFields): TmcBus;
  makeCurrent(fields: TmcFields): CurrentHelper;
  /** Fields set right after the bus exists (UART mode bits, ...). */
  afterBus?(fields: TmcFields): void;
  /** Has DIAG outputs usable as a sensorless-homing endstop. */
  virtualPin: boolean;
  /** Map a read register to the field layout to print it with (TMC2208 IOIN variants). */
  readTranslate?(regName: string, value: number): string;
}

export class TmcDriver {
  readonly fields: TmcFields;
  readonly bus: TmcBus;
  readonly current: CurrentHelper;
  readonly stepperName: string;
  readonly name: string;
  private stepper: TmcStepper | null = null;
  private phaseOffset: number | null = null;
  /** TOFF to restore on enable when the driver is enabled over its bus (no enable pin). */
  private toff: number | null = null;
  private readonly errors: TmcErrorCheck;
  private enableChain: Promise<void> | null = null;

  constructor(readonly config: ConfigSection, readonly printer: Printer, private readonly opts: TmcDriverOptions) {
    const parts = config.getName().split(/\s+/);
    this.stepperName = parts.slice(1).join(" ");
    this.name = parts.at(-1)!;
    const r = opts.registers;
    this.fields = new TmcFields(r.fields, r.signed, r.formatters);
    this.bus = opts.makeBus(this.fields);
    opts.afterBus?.(this.fields);
    if (opts.virtualPin) new TmcVirtualPin(config, printer, this);
    this.current = opts.makeCurrent(this.fields);
    this.errors = new TmcErrorCheck(config, printer, this);
    this.setupMicrosteps();
    printer.registerEventHandler("stepper:sync_mcu_position", (s: TmcStepper) => runMaybeAsync(this.syncPhase(s)));
    printer.registerEventHandler("stepper:set_dir_inverted", (s: TmcStepper) => runMaybeAsync(this.syncPhase(s)));
    printer.registerEventHandler("klippy:mcu_identify", () => this.handleIdentify());
    printer.registerEventHandler("klippy:connect", () => this.handleConnect());
    const gcode = printer.gcode;
    // Register access waits only on a live MCU: the steps run synchronously in batch output
    const run = (gen: Generator<unknown, void, unknown>) => runMaybeAsync(gen);
    gcode.registerMux("SET_TMC_FIELD", "STEPPER", this.name, (g) => run(this.cmdSetField(g)), "Set a register field of a TMC driver");
    gcode.registerMux("INIT_TMC", "STEPPER", this.name, () => run(this.initRegisters(this.toolhead().getLastMoveTime())), "Initialize TMC stepper driver registers");
    gcode.registerMux("SET_TMC_CURRENT", "STEPPER", this.name, (g) => run(this.cmdSetCurrent(g)), "Set the current of a TMC driver");
    gcode.registerMux("DUMP_TMC", "STEPPER", this.name, (g) => run(this.cmdDump(g)), "Read and display TMC stepper driver registers");
  }

  private setupMicrosteps(): void {
    if (!this.config.hasSection(this.stepperName)) throw new ConfigError(`Could not find config section '[${this.stepperName}]' required by tmc driver`);
    const sconfig = this.config.getSection(this.stepperName);
    this.fields.setField("mres", sconfig.getChoice("microsteps", MICROSTEPS));
    this.fields.setField("intpol", this.config.getBoolean("interpolate", true));
  }

  // ---- config helpers (called by each driver in Klipper's order) ----

  /** Step distance from the stepper section (before the stepper object exists). */
  private configStepDist(): number {
    const [rotation, steps] = parseStepDistance(this.config.getSection(this.stepperName));
    return rotation / steps;
  }

  private velocityThreshold(option: string): number | null {
    const v = this.config.getFloat(option, null, { minval: 0 });
    if (v === null) return null;
    return tstepThreshold(this.opts.registers.frequency ?? 0, this.configStepDist(), this.fields.getField("mres"), v);
  }

  /** stealthchop_threshold: below it StealthChop, above it SpreadCycle (never without the option). */
  setupStealthchop(): void {
    const t = this.velocityThreshold("stealthchop_threshold");
    this.fields.setField("tpwmthrs", t ?? MAX_TSTEP);
    if (this.fields.lookupRegister("en_pwm_mode") !== null) this.fields.setField("en_pwm_mode", t !== null);
    else this.fields.setField("en_spreadcycle", t === null);
  }

  /** coolstep_threshold → TCOOLTHRS (0 when unset). */
  setupCoolstepThreshold(): void {
    this.fields.setField("tcoolthrs", this.velocityThreshold("coolstep_threshold") ?? 0);
  }

  /** high_velocity_threshold → THIGH (0 when unset). */
  setupHighVelocityThreshold(): void {
    this.fields.setField("thigh", this.velocityThreshold("high_velocity_threshold") ?? 0);
  }

  /** The microstep sine table (driver_MSLUTn etc.), datasheet power-on defaults. */
  setupWaveTable(): void {
    const defaults: [string, number][] = [
      ["mslut0", 0xaaaab554], ["mslut1", 0x4a9554aa], ["mslut2", 0x24492929], ["mslut3", 0x10104222],
      ["mslut4", 0xfbffffff], ["mslut5", 0xb5bb777d], ["mslut6", 0x49295556], ["mslut7", 0x00404222],
      ["w0", 2], ["w1", 1], ["w2", 1], ["w3", 1], ["x1", 128], ["x2", 255], ["x3", 255], ["start_sin", 0], ["start_sin90", 247],
    ];
    for (const [f, d] of defaults) this.fields.setConfigField(this.config, f, d);
  }

  /** driver_<FIELD> options with their defaults, in order. */
  configFields(defaults: [string, number | boolean][]): void {
    for (const [f, d] of defaults) this.fields.setConfigField(this.config, f, d);
  }

  // ---- lifecycle ----

  private toolhead(): Toolhead {
    return this.printer.lookupObject("toolhead");
  }

  private handleIdentify(): void {
    const fm = this.printer.lookupObject("force_move", null);
    const stepper = fm?.forceMove?.lookupStepper(this.stepperName) as TmcStepper | undefined;
    if (!stepper) throw new ConfigError(`Unknown stepper '${this.stepperName}' for [${this.config.getName()}]`);
    this.stepper = stepper;
    // TMC drivers take 100ns step pulses and can step on both edges
    stepper.setupDefaultPulseDuration(0.0000001, true);
  }

  private handleConnect(): MaybePromise<void> {
    if (this.stepper?.getPulseDuration()[1]) this.fields.setField("dedge", 1);
    const line = this.printer.lookupObject("stepper_enable").lookupEnable(this.stepperName);
    line.registerStateCallback((pt, enabled) => this.queueEnable(pt, enabled));
    if (!line.hasDedicatedEnable()) {
      // No enable pin: the driver is switched off with TOFF=0
      this.toff = this.fields.getField("toff");
      this.fields.setField("toff", 0);
    }
    const self = this;
    return runMaybeAsync((function* () {
      try {
        yield* self.initRegisters();
      } catch {
        // an unreachable driver is reported when it is used, not at startup
      }
    })());
  }

  /** Write every register the host has set, in first-set order. */
  *initRegisters(printTime: number | null = null): Generator<unknown, void, unknown> {
    for (const reg of [...this.fields.registers.keys()]) yield this.bus.setRegister(reg, this.fields.registers.get(reg)!, printTime);
  }

  private queueEnable(printTime: number, enabled: boolean): void {
    const self = this;
    const run = () =>
      runMaybeAsync((function* () {
        try {
          if (enabled) yield* self.doEnable();
          else yield* self.doDisable(printTime);
        } catch (e) {
          self.printer.invokeShutdown((e as Error).message);
        }
      })());
    // One after another
    const start = () => {
      if (this.enableChain === null) {
        const r = run();
        if (r instanceof Promise) this.enableChain = r.finally(() => (this.enableChain = null));
      } else this.enableChain = this.enableChain.then(run, run);
    };
    // Klipper runs enable/disable as a reactor callback: at the loop's next turn (in batch output after
    // the current input block), where doEnable's wait_moves flushes the look-ahead
    const reactor = this.printer.reactor;
    if (reactor) reactor.registerCallback(start);
    else start();
  }

  private *doEnable(): Generator<unknown, void, unknown> {
    if (this.toff !== null) this.fields.setField("toff", this.toff);
    yield* this.initRegisters();
    if (yield* this.errors.start()) this.phaseOffset = null;
    if (this.phaseOffset !== null || !this.stepper) return;
    // Klipper pauses the toolhead for the phase sync under the G-code mutex: after the running batch of commands
    const self = this, stepper = this.stepper;
    yield this.printer.gcode.mutex.run(() => runMaybeAsync((function* () {
      if (self.phaseOffset !== null) return;
      yield self.toolhead().waitMoves?.();
      yield* self.syncPhase(stepper);
    })()));
  }

  private *doDisable(printTime: number): Generator<unknown, void, unknown> {
    if (this.toff !== null) {
      const val = this.fields.setField("toff", 0);
      yield this.bus.setRegister(this.fields.lookupRegister("toff")!, val, printTime);
    }
    this.errors.stop();
  }

  private phases(): number {
    return (256 >> this.fields.getField("mres")) * 4;
  }

  /** Driver microstep counter → offset between MCU step position and the driver's phase. */
  private *syncPhase(stepper: TmcStepper): Generator<unknown, void, unknown> {
    if (stepper.getName() !== this.stepperName) return;
    const field = this.fields.lookupRegister("mscnt") !== null ? "mscnt" : "mstep";
    let driverPhase: number;
    try {
      const reg = this.fields.lookupRegister(field)!;
      driverPhase = this.fields.getField(field, ((yield this.bus.getRegister(reg)) as RegisterRead).data, reg);
    } catch (e) {
      this.phaseOffset = null;
      const line = this.printer.lookupObject("stepper_enable").lookupEnable(this.stepperName);
      if (line.isMotorEnabled()) throw e;
      return;
    }
    if (!stepper.getDirInverted()[0]) driverPhase = 1023 - driverPhase;
    const phases = this.phases();
    const phase = Math.trunc((driverPhase / 1024) * phases + 0.5) % phases;
    this.phaseOffset = (((phase - stepper.getMcuPosition()) % phases) + phases) % phases;
  }

  getPhaseOffset(): [number | null, number] {
    return [this.phaseOffset, this.phases()];
  }

  // ---- commands ----

  private *cmdSetField(g: GCodeCommand): Generator<unknown, void, unknown> {
    const field = g.get("FIELD").toLowerCase();
    const reg = this.fields.lookupRegister(field);
    if (reg === null) throw g.error(`Unknown field name '${field}'`);
    let value = g.getInt("VALUE", null);
    const velocity = g.getFloat("VELOCITY", null, { minval: 0 });
    if ((value === null) === (velocity === null)) throw g.error("Specify either VALUE or VELOCITY");
    if (velocity !== null) {
      const freq = this.opts.registers.frequency;
      if (freq === null) throw g.error("VELOCITY parameter not supported by this driver");
      const stepDist = this.stepper?.getStepDist() ?? this.configStepDist();
      value = tstepThreshold(freq, stepDist, this.fields.getField("mres"), velocity);
    }
    const val = this.fields.setField(field, value!);
    yield this.bus.setRegister(reg, val, this.toolhead().getLastMoveTime());
  }

  private *cmdSetCurrent(g: GCodeCommand): Generator<unknown, void, unknown> {
    let [run, hold, reqHold, max] = this.current.getCurrent();
    const newRun = g.getFloat("CURRENT", null, { minval: 0, maxval: max });
    const newHold = g.getFloat("HOLDCURRENT", null, { above: 0, maxval: max });
    if (newRun !== null || newHold !== null) {
      const printTime = this.toolhead().getLastMoveTime();
      const regs = this.current.setCurrent(newRun ?? run, newHold ?? reqHold ?? max);
      for (const reg of regs) yield this.bus.setRegister(reg, this.fields.registers.get(reg)!, printTime);
      [run, hold] = this.current.getCurrent();
    }
    if (hold === null) g.respondInfo(`Run Current: ${run.toFixed(2)}A`);
    else g.respondInfo(`Run Current: ${run.toFixed(2)}A Hold Current: ${hold.toFixed(2)}A`);
  }

  private *formatRead(reg: string): Generator<unknown, string, unknown> {
    const value = ((yield this.bus.getRegister(reg)) as RegisterRead).data;
    const shown = this.opts.readTranslate?.(reg, value) ?? reg;
    return this.fields.prettyFormat(shown, value);
  }

  private *cmdDump(g: GCodeCommand): Generator<unknown, void, unknown> {
    const readable = this.opts.registers.readable;
    const regArg = g.get("REGISTER", null);
    if (regArg !== null) {
      const reg = regArg.toUpperCase();
      const val = this.fields.registers.get(reg);
      if (val !== undefined && !readable.includes(reg)) g.respondInfo(this.fields.prettyFormat(reg, val));
      else if (readable.includes(reg)) g.respondInfo(yield* this.formatRead(reg));
      else throw g.error(`Unknown register name '${reg}'`);
      return;
    }
    g.respondInfo("========== Write-only registers ==========");
    for (const [reg, val] of this.fields.registers) if (!readable.includes(reg)) g.respondInfo(this.fields.prettyFormat(reg, val));
    g.respondInfo("========== Queried registers ==========");
    for (const reg of readable) g.respondInfo(yield* this.formatRead(reg));
  }

  getStatus(): Record<string, unknown> {
    const [run, hold] = this.current.getCurrent();
    const cpos = this.stepper && this.phaseOffset !== null ? this.stepper.mcuToCommandedPosition(this.phaseOffset) : null;
    return {
      mcu_phase_offset: this.phaseOffset,
      phase_offset_position: cpos,
      run_current: run,
      hold_current: hold,
      ...this.errors.getStatus(),
    };
  }
}

const ERR_FIELDS = ["ot", "s2ga", "s2gb", "s2vsa", "s2vsb"];
const WARN_FIELDS = ["otpw", "t120", "t143", "t150", "t157"];

interface RegCheck {
  last: number;
  reg: string;
  mask: number;
  errMask: number;
  csActualMask: number;
}

/** Driver status checks while the motor is enabled: errors shut the printer down. */
class TmcErrorCheck {
  private readonly drvStatus: RegCheck;
  private readonly gstat: RegCheck | null;
  private readonly clearGstat: boolean;
  private readonly irunField: string;
  private readonly adcTempReg: string | null;
  private adcTemp: number | null = null;
  private stopTimer: (() => void) | null = null;
  private lastFields: Record<string, number> | null = null;
  private lastFieldsValue: number | null = null;

  constructor(config: ConfigSection, private readonly printer: Printer, private readonly driver: TmcDriver) {
    const kind = config.getName().split(/\s+/)[0];
    const fields = driver.fields;
    const maskOf = (reg: string, f: string) => {
      const s = fields.allFields[reg]![f]!;
      return 2 ** s.low * (2 ** s.width - 1);
    };
    const gstatReg = fields.lookupRegister("drv_err");
    this.gstat = gstatReg === null ? null : { last: 0, reg: gstatReg, mask: 0xffffffff, errMask: 0xffffffff, csActualMask: 0 };
    this.clearGstat = kind !== "tmc2130";
    this.irunField = kind === "tmc2660" ? "cs" : "irun";
    const reg = kind === "tmc2660" ? "READRSP@RDSEL2" : "DRV_STATUS";
    const csActualMask = kind === "tmc2130" ? maskOf(reg, "cs_actual") : kind === "tmc2660" ? maskOf(reg, "se") : 0;
    let mask = 0;
    let errMask = 0;
    for (const f of [...ERR_FIELDS, ...WARN_FIELDS]) {
      if (!fields.allFields[reg]?.[f]) continue;
      mask += maskOf(reg, f);
      if (ERR_FIELDS.includes(f)) errMask += maskOf(reg, f);
    }
    this.drvStatus = { last: 0, reg, mask, errMask, csActualMask };
    this.adcTempReg = fields.lookupRegister("adc_temp");
  }

  private *query(check: RegCheck, tryClear = false): Generator<unknown, number, unknown> {
    const fields = this.driver.fields;
    let cleared = 0;
    let count = 0;
    for (;;) {
      let val: number;
      try {
        val = ((yield this.driver.bus.getRegister(check.reg)) as RegisterRead).data;
      } catch (e) {
        count++;
        if (count < 3 && (e as Error).message.startsWith("Unable to read tmc uart")) continue;
        throw e;
      }
      check.last = val;
      if (!and(val, check.errMask)) {
        if (!check.csActualMask || and(val, check.csActualMask)) break;
        const irun = fields.getField(this.irunField);
        if (this.stopTimer === null || irun < 4) break;
        if (this.irunField === "irun" && !fields.getField("ihold")) break;
        // CS_ACTUAL reads zero: the driver was reset
      }
      count++;
      if (count >= 3) throw new GCodeError(`TMC '${this.driver.stepperName}' reports error: ${fields.prettyFormat(check.reg, val)}`);
      if (tryClear && and(val, check.errMask)) {
        tryClear = false;
        cleared |= and(val, check.errMask);
        yield this.driver.bus.setRegister(check.reg, and(val, check.errMask));
      }
    }
    return cleared;
  }

  private *periodic(): Generator<unknown, void, unknown> {
    try {
      yield* this.query(this.drvStatus);
      if (this.gstat) yield* this.query(this.gstat);
      if (this.adcTempReg !== null) {
        try {
          this.adcTemp = ((yield this.driver.bus.getRegister(this.adcTempReg)) as RegisterRead).data;
        } catch {
          this.adcTemp = null;
        }
      }
    } catch (e) {
      this.stop();
      this.printer.invokeShutdown((e as Error).message);
    }
  }

  /** Query once, start the once-a-second check; true when the driver reported a reset. */
  *start(): Generator<unknown, boolean, unknown> {
    this.stop();
    yield* this.query(this.drvStatus);
    const cleared = this.gstat ? yield* this.query(this.gstat, this.clearGstat) : 0;
    this.stopTimer = startPeriodic(this.printer, `tmc:${this.driver.name}`, hostTime(this.printer) + 1, (t) => {
      void runMaybeAsync(this.periodic());
      return t + 1;
    });
    const reset = this.driver.fields.allFields.GSTAT?.reset;
    return Boolean(reset && cleared & (2 ** reset.low));
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = null;
  }

  getStatus(): { drv_status: Record<string, number> | null; temperature: number | null } {
    if (this.stopTimer === null) return { drv_status: null, temperature: null };
    if (this.drvStatus.last !== this.lastFieldsValue) {
      this.lastFieldsValue = this.drvStatus.last;
      const all = this.driver.fields.getRegFields(this.drvStatus.reg, this.drvStatus.last);
      this.lastFields = Object.fromEntries(Object.entries(all).filter(([, v]) => v));
    }
    const temperature = this.adcTemp === null ? null : Math.round(((this.adcTemp - 2038) / 7.7) * 100) / 100;
    return { drv_status: this.lastFields, temperature };
  }
}

/** Bitwise AND of two unsigned 32-bit values as an unsigned number. */
function and(a: number, b: number): number {
  return (a & b) >>> 0;
}

/** The "<driver>_<stepper>:virtual_endstop" pin chip: homing on the driver's stall detection (DIAG pin). */
class TmcVirtualPin implements PinChip {
  private readonly diagPin: string | null;
  private readonly diagField: string | null;
  private endstop: unknown = null;
  private readonly dirty = new Map<string, number>();
  private readonly prev = new Map<string, number>();

  constructor(config: ConfigSection, private readonly printer: Printer, private readonly driver: TmcDriver) {
    const fields = driver.fields;
    if (fields.lookupRegister("diag0_stall") !== null) {
      if (config.get("diag0_pin", null) !== null) {
        this.diagPin = config.get("diag0_pin");
        this.diagField = "diag0_stall";
      } else {
        this.diagPin = config.get("diag1_pin", null);
        this.diagField = "diag1_stall";
      }
    } else {
      this.diagPin = config.get("diag_pin", null);
      this.diagField = null;
    }
    const parts = config.getName().split(/\s+/);
    printer.pins.registerChip(`${parts[0]}_${parts.at(-1)}`, this);
  }

  setupPin(pinType: string, params: PinParams): unknown {
    if (pinType !== "endstop" || params.pin !== "virtual_endstop") throw new PinError("tmc virtual endstop only useful as endstop");
    if (params.invert || params.pullup) throw new PinError("Can not pullup/invert tmc virtual pin");
    if (this.diagPin === null) throw new PinError("tmc virtual endstop requires diag pin config");
    this.printer.registerEventHandler("homing:homing_move_begin", (h: HomingMoveLike) => this.homingBegin(h));
    this.printer.registerEventHandler("homing:homing_move_end", (h: HomingMoveLike) => this.homingEnd(h));
    this.endstop = this.printer.pins.setupPin("endstop", this.diagPin);
    return this.endstop;
  }

  private uses(h: HomingMoveLike): boolean {
    return h.endstops.some(([es]) => es === this.endstop);
  }

  private set(field: string, value: number): void {
    const fields = this.driver.fields;
    this.prev.set(field, fields.getField(field));
    this.dirty.set(fields.lookupRegister(field)!, fields.setField(field, value));
  }

  private send(): void {
    for (const [reg, val] of this.dirty) {
      const r = this.driver.bus.setRegister(reg, val);
      if (r instanceof Promise) r.catch((e: Error) => this.printer.invokeShutdown(e.message));
    }
    this.dirty.clear();
  }

  private homingBegin(h: HomingMoveLike): void {
    if (!this.uses(h)) return;
    const fields = this.driver.fields;
    const sg4 = fields.lookupRegister("sg4_thrs") !== null ? fields.getField("sg4_thrs") : 0;
    if (fields.lookupRegister("en_pwm_mode") === null) {
      // StallGuard4 drivers (TMC2209) detect stalls in StealthChop only
      this.set("tpwmthrs", 0);
      this.set("en_spreadcycle", 0);
    } else if (sg4) {
      this.set("en_pwm_mode", 1);
      this.set("tpwmthrs", 0);
      this.set(this.diagField!, 1);
    } else {
      // StallGuard2 works in SpreadCycle only
      this.set("en_pwm_mode", 0);
      this.set(this.diagField!, 1);
    }
    if (fields.getField("tcoolthrs") === 0) this.set("tcoolthrs", MAX_TSTEP);
    if (fields.lookupRegister("thigh") !== null) this.set("thigh", 0);
    this.send();
  }

  private homingEnd(h: HomingMoveLike): void {
    if (!this.uses(h)) return;
    for (const [field, val] of [...this.prev]) this.set(field, val);
    this.send();
    this.prev.clear();
  }
}

interface HomingMoveLike {
  endstops: [unknown, string][];
}
