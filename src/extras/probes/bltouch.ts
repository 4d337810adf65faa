// [bltouch]: a BLTouch (or clone) Z probe. The probe is commanded with servo-style pulses on
// control_pin (pin down / pin up / touch mode / reset / self test, one 20 ms signal period each,
// each followed by the PWM switched off) and reports contact on sensor_pin. Probing sessions,
// sample averaging, PROBE / QUERY_PROBE and the probe:z_virtual_endstop pin work like [probe]; the
// "probe" object it registers has the same session interface (startProbeSession, runProbe,
// pullProbedResults, endProbeSession, getOffsets, getProbeParams).
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { GCodeError } from "../../core/gcode/errors.ts";
import { setupPwmPin } from "../../core/mcu-pins/pin-setup.ts";
import type { PwmOutput } from "../../core/mcu-pins/output-types.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import {
  createProbeResult, lookupMinimumZ, ProbeCommandHelper, ProbeParameterHelper, reportProbeResult, sampleProbe, stopZSteppersOnTrigger, ZVirtualEndstop,
  type ProbeCommand, type ProbeParams, type ProbeResult,
} from "./probe.ts";
import type { Completion, HomingStepper, McuEndstop } from "../../core/mcu-pins/mcu-endstop.ts";
import { detach, type MaybePromise, runMaybeAsync } from "../../util/maybe-async.ts";
import { hostTime } from "../../core/host-timers.ts";

const SIGNAL_PERIOD = 0.020;
const MIN_CMD_TIME = 5 * SIGNAL_PERIOD;
const TEST_TIME = 5 * 60;
const RETRY_RESET_TIME = 1.0;
const ENDSTOP_REST_TIME = 0.001;
const ENDSTOP_SAMPLE_TIME = 0.000015;
const ENDSTOP_SAMPLE_COUNT = 4;

/** Pulse widths (seconds) of the BLTouch control commands. */
export const BLTOUCH_COMMANDS: Record<string, number> = {
  pin_down: 0.000650, touch_mode: 0.001165, pin_up: 0.001475, self_test: 0.001780, reset: 0.002190,
  set_5V_output_mode: 0.001988, set_OD_output_mode: 0.002091, output_mode_store: 0.001884,
};

interface Toolhead {
  getLastMoveTime(): number;
  dwell(delay: number): MaybePromise<void>;
  getPosition(): number[];
  manualMove(coord: readonly (number | null)[], speed: number): MaybePromise<void>;
  getKinematics(): { getStatus(): Record<string, unknown> };
}

export class PrinterBLTouch {
  readonly xOffset: number;
  readonly yOffset: number;
  readonly zOffset: number;
  private readonly params: ProbeParameterHelper;
  private readonly stowOnEachSample: boolean;
  private readonly touchMode: boolean;
  private readonly outputMode: "5V" | "OD" | null;
  private readonly pinUpNotTriggered: boolean;
  private readonly pinUpTouchTriggered: boolean;
  private readonly pinMoveTime: number;
  private readonly pwm: PwmOutput;
  readonly endstop: McuEndstop;
  /** The endstop as probing moves see it: sensor sampling rests at most 1 ms. */
  private readonly probingEndstop: McuEndstop;
  private readonly zMinPosition: number;
  private nextCmdTime = 0;
  private actionEndTime = 0;
  private nextTestTime = 0;
  private multi: "OFF" | "FIRST" | "ON" = "OFF";
  private sessionActive = false;
  private results: ProbeResult[] = [];
  private readonly commands: ProbeCommandHelper;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    this.xOffset = config.getFloat("x_offset", 0);
    this.yOffset = config.getFloat("y_offset", 0);
    this.zOffset = config.getFloat("z_offset");
    this.params = new ProbeParameterHelper(config);
    this.stowOnEachSample = config.getBoolean("stow_on_each_sample", true);
    this.touchMode = config.getBoolean("probe_with_touch_mode", false);
    this.pwm = setupPwmPin(printer.pins, config.get("control_pin"), config.getName());
    this.pwm.setupMaxDuration(0);
    this.pwm.setupCycleTime(SIGNAL_PERIOD);
    this.endstop = printer.pins.setupPin("endstop", config.get("sensor_pin"), config.getName()) as McuEndstop;
    this.probingEndstop = new ShortRestEndstop(this.endstop) as unknown as McuEndstop;
    this.outputMode = config.getChoice("set_output_mode", { "5V": "5V", OD: "OD" } as Record<string, "5V" | "OD">, null);
    this.pinUpNotTriggered = config.getBoolean("pin_up_reports_not_triggered", true);
    this.pinUpTouchTriggered = config.getBoolean("pin_up_touch_mode_reports_triggered", true);
    this.pinMoveTime = config.getFloat("pin_move_time", 0.680, { above: 0 });
    this.zMinPosition = lookupMinimumZ(printer);
    stopZSteppersOnTrigger(printer, this.endstop);
    printer.registerEventHandler("klippy:connect", () => this.handleConnect());
    printer.registerEventHandler("gcode:command_error", () => {
      // Klipper's probe logs a failed session end here: the command error is already being reported
      if (this.sessionActive) detach(this.endProbeSession(), (e) => console.error(`bltouch: ending the probe session: ${(e as Error)?.message ?? e}`));
    });
    printer.pins.registerChip("probe", new BLTouchVirtualEndstop(this.zOffset, (pt) => this.endstop.queryEndstop(pt)));
    this.registerCommands();
    this.commands = new ProbeCommandHelper(printer, "bltouch", this.zOffset, (pt) => this.endstop.queryEndstop(pt), (g) => this.runSingleProbe(g));
  }

  private toolhead(): Toolhead {
    return this.printer.lookupObject("toolhead");
  }

  // ---- signal timing ----

  private syncMcuPrintTime(): void {
    const est = this.pwm.mcu.estimatedPrintTime(hostTime(this.printer));
    this.nextCmdTime = Math.max(this.nextCmdTime, est + MIN_CMD_TIME);
  }

  // Steps that wait (dwell, endstop checks, moves) are generators run with runMaybeAsync: in
  // batch output nothing waits and they finish synchronously.
  private *syncPrintTime(): Generator<unknown, void, unknown> {
    const th = this.toolhead();
    const printTime = th.getLastMoveTime();
    if (this.nextCmdTime > printTime) yield th.dwell(this.nextCmdTime - printTime);
    else this.nextCmdTime = printTime;
  }

  /** One command pulse train, then the signal off; the pulse length is counted in MCU ticks. */
  private sendCmd(cmd: string, duration = MIN_CMD_TIME): void {
    const mcu = this.pwm.mcu;
    let clock = mcu.printTimeToClock(this.nextCmdTime);
    const pulse = Math.trunc((duration - MIN_CMD_TIME) / SIGNAL_PERIOD) * SIGNAL_PERIOD;
    clock += mcu.secondsToClock(Math.max(MIN_CMD_TIME, pulse));
    const endTime = mcu.clockToPrintTime(clock);
    this.pwm.setPwm(this.nextCmdTime, BLTOUCH_COMMANDS[cmd]! / SIGNAL_PERIOD);
    this.pwm.setPwm(endTime, 0);
    this.actionEndTime = this.nextCmdTime + duration;
    this.nextCmdTime = Math.max(this.actionEndTime, endTime + MIN_CMD_TIME);
  }

  /** Check the sensor reports `triggered` right after the last action. */
  private *verifyState(triggered: boolean): Generator<unknown, boolean, unknown> {
    this.endstop.homeStart(this.actionEndTime, ENDSTOP_SAMPLE_TIME, ENDSTOP_SAMPLE_COUNT, ENDSTOP_REST_TIME, triggered);
    try {
      return ((yield this.endstop.homeWait(this.actionEndTime + 0.1)) as number) > 0;
    } catch {
      return false;
    }
  }

  private handleConnect(): MaybePromise<void> {
    this.syncMcuPrintTime();
    this.nextCmdTime += 0.2;
    this.setOutputMode(this.outputMode);
    const self = this;
    return runMaybeAsync((function* () {
      try {
        self.raiseProbe();
        yield* self.verifyRaiseProbe();
      } catch {
        // reported again when the probe is used
      }
    })());
  }

  private raiseProbe(): void {
    this.syncMcuPrintTime();
    if (!this.pinUpNotTriggered) this.sendCmd("reset");
    this.sendCmd("pin_up", this.pinMoveTime);
  }

  private *verifyRaiseProbe(): Generator<unknown, void, unknown> {
    if (!this.pinUpNotTriggered) return; // no way to check
    for (let retry = 0; retry < 3; retry++) {
      if (yield* this.verifyState(false)) return;
      if (retry >= 2) throw new GCodeError("BLTouch failed to raise probe");
      this.printer.gcode.respondInfo("Failed to verify BLTouch probe is raised; retrying.");
      this.syncMcuPrintTime();
      this.sendCmd("reset", RETRY_RESET_TIME);
      this.sendCmd("pin_up", this.pinMoveTime);
    }
  }

  private *lowerProbe(): Generator<unknown, void, unknown> {
    yield* this.testSensor();
    yield* this.syncPrintTime();
    this.sendCmd("pin_down", this.pinMoveTime);
    if (this.touchMode) this.sendCmd("touch_mode");
  }

  /** Every few minutes: raise the pin in touch mode and check the sensor reports it. */
  private *testSensor(): Generator<unknown, void, unknown> {
    if (!this.pinUpTouchTriggered) return;
    const printTime = this.toolhead().getLastMoveTime();
    if (printTime < this.nextTestTime) {
      this.nextTestTime = printTime + TEST_TIME;
      return;
    }
    yield* this.syncPrintTime();
    for (let retry = 0; retry < 3; retry++) {
      this.sendCmd("pin_up", this.pinMoveTime);
      this.sendCmd("touch_mode");
      const ok = yield* this.verifyState(true);
      yield* this.syncPrintTime();
      if (ok) {
        this.nextTestTime = printTime + TEST_TIME;
        return;
      }
      if (retry >= 2) throw new GCodeError("BLTouch failed to verify sensor state");
      this.printer.gcode.respondInfo("BLTouch failed to verify sensor state; retrying.");
      this.sendCmd("reset", RETRY_RESET_TIME);
    }
  }

  private setOutputMode(mode: "5V" | "OD" | null): void {
    if (mode === null) return;
    this.syncMcuPrintTime();
    this.sendCmd(mode === "5V" ? "set_5V_output_mode" : "set_OD_output_mode");
  }

  private *storeOutputMode(mode: "5V" | "OD"): Generator<unknown, void, unknown> {
    const set = mode === "5V" ? "set_5V_output_mode" : "set_OD_output_mode";
    yield* this.syncPrintTime();
    this.sendCmd("pin_down");
    this.sendCmd(set);
    this.sendCmd("output_mode_store");
    this.sendCmd(set);
    this.sendCmd("pin_up");
  }

  // ---- probe interface ----

  getOffsets(): [number, number, number] {
    return [this.xOffset, this.yOffset, this.zOffset];
  }

  getProbeParams(g: ProbeCommand | null = null): ProbeParams {
    return this.params.getProbeParams(g);
  }

  startProbeSession(_g: ProbeCommand | null): this {
    if (this.sessionActive) throw new GCodeError("Internal probe error - start/end probe session mismatch");
    this.sessionActive = true;
    this.results = [];
    if (!this.stowOnEachSample) this.multi = "FIRST";
    return this;
  }

  endProbeSession(): MaybePromise<void> {
    if (!this.sessionActive) throw new GCodeError("Internal probe error - start/end probe session mismatch");
    this.sessionActive = false;
    this.results = [];
    if (this.stowOnEachSample) return;
    const self = this;
    return runMaybeAsync((function* () {
      yield* self.syncPrintTime();
      self.raiseProbe();
      yield* self.verifyRaiseProbe();
      yield* self.syncPrintTime();
      self.multi = "OFF";
    })());
  }

  /** One touch: lower the pin, descend until the sensor triggers, raise the pin again. */
  private *probeOnce(g: ProbeCommand): Generator<unknown, ProbeResult, unknown> {
    const homed = String(this.toolhead().getKinematics().getStatus().homed_axes ?? "");
    if (!homed.includes("z")) throw new GCodeError("Must home before probe");
    if (this.multi === "OFF" || this.multi === "FIRST") {
      yield* this.lowerProbe();
      if (this.multi === "FIRST") this.multi = "ON";
    }
    yield* this.syncPrintTime();
    let ppos: number[];
    try {
      const th = this.toolhead();
      const pos = th.getPosition();
      pos[2] = this.zMinPosition;
      const homing = this.printer.lookupObject("homing");
      ppos = (yield homing.probingMove(this.probingEndstop, pos, this.getProbeParams(g).probeSpeed, true)) as number[];
    } finally {
      // Klipper waits here for its "wait for trigger" reactor callback: one loop turn, in which
      // timers (the background step flush) run; batch mode has to give that turn explicitly
      this.printer.reactor?.yieldNow();
      if (this.multi === "OFF") {
        this.raiseProbe();
        yield* this.verifyRaiseProbe();
      }
      yield* this.syncPrintTime();
    }
    return reportProbeResult(this.printer, g, createProbeResult(ppos, this.getOffsets()));
  }

  runProbe(g: ProbeCommand): MaybePromise<void> {
    if (!this.sessionActive) throw new GCodeError("Internal probe error - start/end probe session mismatch");
    return runMaybeAsync(this.sampleSteps(g));
  }

  private *sampleSteps(g: ProbeCommand): Generator<unknown, void, unknown> {
    this.results.push(yield* sampleProbe(g, this.getProbeParams(g), this.toolhead(), () => this.probeOnce(g)));
  }

  pullProbedResults(): ProbeResult[] {
    return this.results.splice(0);
  }

  // ---- commands and status ----

  private registerCommands(): void {
    const gcode = this.printer.gcode;
    gcode.register("BLTOUCH_DEBUG", (g: GCodeCommand) => {
      const cmd = g.get("COMMAND", null);
      if (cmd === null || !(cmd in BLTOUCH_COMMANDS)) {
        g.respondInfo(`BLTouch commands: ${Object.keys(BLTOUCH_COMMANDS).sort().join(", ")}`);
        return;
      }
      g.respondInfo(`Sending BLTOUCH_DEBUG COMMAND=${cmd}`);
      const self = this;
      return runMaybeAsync((function* () {
        yield* self.syncPrintTime();
        self.sendCmd(cmd, self.pinMoveTime);
        yield* self.syncPrintTime();
      })());
    }, { desc: "Send a command to the bltouch for debugging" });
    gcode.register("BLTOUCH_STORE", (g: GCodeCommand) => {
      const mode = g.get("MODE", null);
      if (mode !== "5V" && mode !== "OD") {
        g.respondInfo("BLTouch output modes: 5V, OD");
        return;
      }
      g.respondInfo(`Storing BLTouch output mode: ${mode}`);
      const self = this;
      return runMaybeAsync((function* () {
        yield* self.syncPrintTime();
        yield* self.storeOutputMode(mode);
        yield* self.syncPrintTime();
      })());
    }, { desc: "Store an output mode in the BLTouch EEPROM" });
  }

  /** Probe once at the current position (PROBE); the session ends even when probing fails. */
  private runSingleProbe(g: ProbeCommand): MaybePromise<ProbeResult> {
    const self = this;
    return runMaybeAsync((function* () {
      self.startProbeSession(g);
      try {
        yield self.runProbe(g);
        return self.pullProbedResults()[0]!;
      } finally {
        if (self.sessionActive) yield self.endProbeSession();
      }
    })());
  }

  getStatus(): Record<string, unknown> {
    return this.commands.getStatus();
  }
}

/** Delegates to the sensor endstop, capping the rest time between samples. */
class ShortRestEndstop {
  constructor(private readonly es: McuEndstop) {}
  getMcu() {
    return this.es.getMcu();
  }
  addStepper(s: HomingStepper): void {
    this.es.addStepper(s);
  }
  getSteppers(): HomingStepper[] {
    return this.es.getSteppers();
  }
  homeStart(printTime: number, sampleTime: number, sampleCount: number, restTime: number, triggered = true): Completion {
    return this.es.homeStart(printTime, sampleTime, sampleCount, Math.min(restTime, ENDSTOP_REST_TIME), triggered);
  }
  homeWait(homeEndTime: number): MaybePromise<number> {
    return this.es.homeWait(homeEndTime);
  }
  queryEndstop(printTime: number): MaybePromise<number> {
    return this.es.queryEndstop(printTime);
  }
}

/** probe:z_virtual_endstop while a BLTouch is the probe. */
class BLTouchVirtualEndstop extends ZVirtualEndstop {
  homeStart(): Completion {
    throw new GCodeError("Internal error. Can't home via HomingViaProbeHelper.");
  }
}

registerModule("bltouch", (config, printer) => {
  const blt = new PrinterBLTouch(config, printer);
  printer.addObject("probe", blt);
  return blt;
});
