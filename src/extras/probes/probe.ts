// [probe] (Klipper's probe.py, endstop-style probes): probing moves down to
// the Z minimum until the probe pin triggers, multi-sample averaging with a
// tolerance and retries, the probe:z_virtual_endstop pseudo-pin for homing Z
// with the probe, and the PROBE / QUERY_PROBE / PROBE_ACCURACY commands.
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { GCodeError } from "../../core/gcode/errors.ts";
import { PinError, type PinChip, type PinParams } from "../../core/pins.ts";
import { type GCodeTemplate, lookupGCodeMacro } from "../macros/gcode-macro.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { McuEndstop, type EndstopMcu, type HomingStepper } from "../../core/mcu-pins/mcu-endstop.ts";
import type { HomingProbeCommand } from "../../motion/homing.ts";
import { type MaybePromise, runMaybeAsync, then } from "../../util/maybe-async.ts";

/** Where a probe touched: bed coordinates (with probe offsets) and toolhead coordinates. */
export interface ProbeResult {
  bedX: number;
  bedY: number;
  bedZ: number;
  testX: number;
  testY: number;
  testZ: number;
}

export function createProbeResult(testPos: readonly number[], offsets: readonly number[] = [0, 0, 0]): ProbeResult {
  return {
    bedX: testPos[0]! + offsets[0]!, bedY: testPos[1]! + offsets[1]!, bedZ: testPos[2]! - offsets[2]!,
    testX: testPos[0]!, testY: testPos[1]!, testZ: testPos[2]!,
  };
}

/** Mean (or median by bed Z) of several probe results. */
export function calcProbeZAverage(positions: ProbeResult[], method: string): ProbeResult {
  if (method !== "median") {
    const inv = 1 / positions.length;
    const keys = ["bedX", "bedY", "bedZ", "testX", "testY", "testZ"] as const;
    const out = {} as ProbeResult;
    for (const k of keys) out[k] = positions.reduce((s, p) => s + p[k], 0) * inv;
    return out;
  }
  const sorted = [...positions].sort((a, b) => a.bedZ - b.bedZ);
  const middle = sorted.length >> 1;
  if (sorted.length & 1) return sorted[middle]!;
  return calcProbeZAverage(sorted.slice(middle - 1, middle + 1), "average");
}

export interface ProbeParams {
  probeSpeed: number;
  liftSpeed: number;
  samples: number;
  sampleRetractDist: number;
  samplesTolerance: number;
  samplesToleranceRetries: number;
  samplesResult: string;
}

/** Parameters a probing command may override (G28 via probe uses a synthetic command). */
/** A command handed to the probe (the parameters it reads): the homing code's probe command. */
export type ProbeCommand = HomingProbeCommand;

interface ProbeToolhead {
  getPosition(): number[];
  manualMove(coord: readonly (number | null)[], speed: number): void;
  getKinematics(): { getStatus(): Record<string, unknown>; getSteppers(): (HomingStepper & { isActiveAxis(a: string): boolean })[] };
}

/** [probe] options for speeds and multi-sampling (every probe type reads them). */
export class ProbeParameterHelper {
  readonly speed: number;
  readonly liftSpeed: number;
  readonly sampleCount: number;
  readonly sampleRetractDist: number;
  readonly samplesResult: string;
  readonly samplesTolerance: number;
  readonly samplesRetries: number;
  constructor(config: ConfigSection) {
    this.speed = config.getFloat("speed", 5, { above: 0 });
    this.liftSpeed = config.getFloat("lift_speed", this.speed, { above: 0 });
    this.sampleCount = config.getInt("samples", 1, { minval: 1 });
    this.sampleRetractDist = config.getFloat("sample_retract_dist", 2, { above: 0 });
    this.samplesResult = config.getChoice("samples_result", ["median", "average"], "average");
    this.samplesTolerance = config.getFloat("samples_tolerance", 0.1, { minval: 0 });
    this.samplesRetries = config.getInt("samples_tolerance_retries", 0, { minval: 0 });
  }
  getProbeParams(g: ProbeCommand | null): ProbeParams {
    if (!g)
      return {
        probeSpeed: this.speed, liftSpeed: this.liftSpeed, samples: this.sampleCount, sampleRetractDist: this.sampleRetractDist,
        samplesTolerance: this.samplesTolerance, samplesToleranceRetries: this.samplesRetries, samplesResult: this.samplesResult,
      };
    return {
      probeSpeed: g.getFloat("PROBE_SPEED", this.speed, { above: 0 }),
      liftSpeed: g.getFloat("LIFT_SPEED", this.liftSpeed, { above: 0 }),
      samples: g.getInt("SAMPLES", this.sampleCount, { minval: 1 }),
      sampleRetractDist: g.getFloat("SAMPLE_RETRACT_DIST", this.sampleRetractDist, { above: 0 }),
      samplesTolerance: g.getFloat("SAMPLES_TOLERANCE", this.samplesTolerance, { minval: 0 }),
      samplesToleranceRetries: g.getInt("SAMPLES_TOLERANCE_RETRIES", this.samplesRetries, { minval: 0 }),
      samplesResult: g.get("SAMPLES_RESULT", this.samplesResult)!,
    };
  }
}

/**
 * Several samples at the current XY (lifting between them) until they agree within
 * samples_tolerance, starting over up to samples_tolerance_retries times; their mean or median.
 */
export function* sampleProbe(
  g: ProbeCommand,
  params: ProbeParams,
  th: { getPosition(): number[]; manualMove(coord: readonly (number | null)[], speed: number): unknown },
  probeOnce: () => Generator<unknown, ProbeResult, unknown>,
): Generator<unknown, ProbeResult, unknown> {
  const probexy = th.getPosition().slice(0, 2);
  let retries = 0;
  let positions: ProbeResult[] = [];
  while (positions.length < params.samples) {
    positions.push(yield* probeOnce());
    const zs = positions.map((p) => p.bedZ);
    if (Math.max(...zs) - Math.min(...zs) > params.samplesTolerance) {
      if (retries >= params.samplesToleranceRetries) throw g.error("Probe samples exceed samples_tolerance");
      g.respondInfo("Probe samples exceed tolerance. Retrying...");
      retries++;
      positions = [];
    }
    if (positions.length < params.samples) {
      const curZ = th.getPosition()[2]!;
      yield th.manualMove([...probexy, curZ + params.sampleRetractDist], params.liftSpeed);
    }
  }
  return calcProbeZAverage(positions, params.samplesResult);
}

/** Every Z stepper stops when the probe's endstop triggers (added once the kinematics exist). */
export function stopZSteppersOnTrigger(printer: Printer, endstop: { addStepper(s: HomingStepper): void }): void {
  printer.registerEventHandler("klippy:mcu_identify", () => {
    const kin = printer.lookupObject("toolhead").getKinematics();
    for (const s of kin.getSteppers()) if (s.isActiveAxis("z")) endstop.addStepper(s);
  });
}

/** Announce one touch (probe:update_results handlers may correct it) and report it unless homing. */
export function reportProbeResult(printer: Printer, g: ProbeCommand, touch: ProbeResult): ProbeResult {
  const results = [touch];
  printer.sendEvent("probe:update_results", results);
  const epos = results[0]!;
  if (g.getCommand() !== "G28")
    g.respondInfo(`probe: at ${epos.bedX.toFixed(3)},${epos.bedY.toFixed(3)} bed will contact at z=${epos.bedZ.toFixed(6)}`);
  return epos;
}

/** QUERY_PROBE and PROBE, and the probe status they update (last query, last probed position and Z). */
export class ProbeCommandHelper {
  private lastQuery = false;
  private lastProbePosition = [0, 0, 0];
  private lastZResult = 0;

  constructor(
    printer: Printer,
    private readonly name: string,
    zOffset: number,
    queryEndstop: (printTime: number) => MaybePromise<number>,
    runSingleProbe: (g: ProbeCommand) => MaybePromise<ProbeResult>,
  ) {
    const gcode = printer.gcode;
    gcode.register("QUERY_PROBE", (g: GCodeCommand) => {
      const th = printer.lookupObject("toolhead");
      return then(queryEndstop(th.getLastMoveTime()), (res) => {
        this.lastQuery = !!res;
        g.respondInfo(`probe: ${res ? "TRIGGERED" : "open"}`);
      });
    }, { desc: "Return the status of the z-probe" });
    gcode.register("PROBE", (g: GCodeCommand) =>
      then(runSingleProbe(g as unknown as ProbeCommand), (pos) => {
        g.respondInfo(`Result: at ${pos.bedX.toFixed(3)},${pos.bedY.toFixed(3)} estimate contact at z=${pos.bedZ.toFixed(6)}`);
        this.lastProbePosition = [pos.bedX, pos.bedY, pos.bedZ];
        this.lastZResult = pos.bedZ + zOffset;
      }), { desc: "Probe Z-height at current XY position" });
  }

  getStatus(): Record<string, unknown> {
    return { name: this.name, last_query: this.lastQuery, last_probe_position: this.lastProbePosition, last_z_result: this.lastZResult };
  }
}

/** The probe:z_virtual_endstop pin: lets a Z rail home with the probe. */
export class ZVirtualEndstop implements PinChip {
  constructor(private readonly positionEndstop: number, private readonly query: (pt: number) => MaybePromise<number>) {}
  addStepper(_s: HomingStepper): void {}
  getSteppers(): HomingStepper[] {
    return [];
  }
  queryEndstop(printTime: number): MaybePromise<number> {
    return this.query(printTime);
  }
  getPositionEndstop(): number {
    return this.positionEndstop;
  }
  setupPin(pinType: string, params: PinParams): unknown {
    if (pinType !== "endstop" || params.pin !== "z_virtual_endstop") throw new PinError("Probe virtual endstop only useful as endstop pin");
    if (params.invert || params.pullup) throw new PinError("Can not pullup/invert probe virtual endstop");
    return this;
  }
}

/** The "probe" printer object. */
export class PrinterProbe {
  readonly xOffset: number;
  readonly yOffset: number;
  readonly zOffset: number;
  private readonly params: ProbeParameterHelper;
  readonly endstop: McuEndstop;
  private readonly stowOnEachSample: boolean;
  private readonly activateGcode: GCodeTemplate;
  private readonly deactivateGcode: GCodeTemplate;
  private readonly zMinPosition: number;
  private multi: "OFF" | "FIRST" | "ON" = "OFF";
  private sessionActive = false;
  private sampleResults: ProbeResult[] = [];
  private triggerResults: ProbeResult[] = [];
  private readonly commands: ProbeCommandHelper;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    this.xOffset = config.getFloat("x_offset", 0);
    this.yOffset = config.getFloat("y_offset", 0);
    this.zOffset = config.getFloat("z_offset");
    this.params = new ProbeParameterHelper(config);
    this.stowOnEachSample = config.getBoolean("deactivate_on_each_sample", true);
    const macros = lookupGCodeMacro(printer);
    this.activateGcode = macros.loadTemplate(config, "activate_gcode", "");
    this.deactivateGcode = macros.loadTemplate(config, "deactivate_gcode", "");
    const p = printer.pins.lookupPin(config.get("pin"), { canInvert: true, canPullup: true });
    this.endstop = new McuEndstop(p.chip as unknown as EndstopMcu, { pin: p.pin, pullup: p.pullup, invert: p.invert });
    this.zMinPosition = lookupMinimumZ(printer);
    stopZSteppersOnTrigger(printer, this.endstop);
    printer.registerEventHandler("gcode:command_error", () => {
      if (this.sessionActive) this.endProbeSession();
    });
    printer.pins.registerChip("probe", new ZVirtualEndstop(this.zOffset, (pt) => this.endstop.queryEndstop(pt)));
    this.commands = new ProbeCommandHelper(printer, "probe", this.zOffset, (pt) => this.endstop.queryEndstop(pt), (g) => this.runSingleProbe(g));
  }

  getOffsets(): [number, number, number] {
    return [this.xOffset, this.yOffset, this.zOffset];
  }
  getProbeParams(g: ProbeCommand | null = null): ProbeParams {
    return this.params.getProbeParams(g);
  }

  private toolhead(): ProbeToolhead {
    return this.printer.lookupObject("toolhead");
  }

  /** Run activate_gcode / deactivate_gcode; they must not move the toolhead. */
  private runScript(template: GCodeTemplate, which: string): void {
    const th = this.toolhead();
    const start = th.getPosition().slice(0, 3);
    // Probe scripts are plain pin/servo commands that complete synchronously
    void template.runGcodeFromCommand();
    const now = th.getPosition().slice(0, 3);
    if (now.some((v, i) => v !== start[i])) throw new GCodeError(`Toolhead moved during probe ${which} script`);
  }

  // ---- sessions ----
  startProbeSession(_g: ProbeCommand | null): this {
    if (this.sessionActive) throw new GCodeError("Internal probe error - start/end probe session mismatch");
    this.sessionActive = true;
    this.sampleResults = [];
    this.triggerResults = [];
    if (!this.stowOnEachSample) this.multi = "FIRST";
    return this;
  }

  endProbeSession(): void {
    if (!this.sessionActive) throw new GCodeError("Internal probe error - start/end probe session mismatch");
    this.sessionActive = false;
    this.sampleResults = [];
    this.triggerResults = [];
    if (!this.stowOnEachSample) {
      this.runScript(this.deactivateGcode, "deactivate_gcode");
      this.multi = "OFF";
    }
  }

  /** One probing move down to the Z minimum. */
  private *descendUntilTrigger(g: ProbeCommand): Generator<unknown, void, unknown> {
    const th = this.toolhead();
    const pos = th.getPosition();
    pos[2] = this.zMinPosition;
    const speed = this.params.getProbeParams(g).probeSpeed;
    const homing = this.printer.lookupObject("homing");
    const checkMovement = !homing.checkProbeFirstHome(g);
    const ppos = (yield homing.probingMove(this.endstop, pos, speed, checkMovement)) as number[];
    this.triggerResults.push(createProbeResult(ppos, this.getOffsets()));
  }

  /** One sample: lower the probe, probe, raise it. */
  private *probeOnce(g: ProbeCommand): Generator<unknown, ProbeResult, unknown> {
    const homed = String(this.toolhead().getKinematics().getStatus().homed_axes ?? "");
    if (!homed.includes("z")) throw new GCodeError("Must home before probe");
    if (this.multi === "OFF" || this.multi === "FIRST") {
      this.runScript(this.activateGcode, "activate_gcode");
      if (this.multi === "FIRST") this.multi = "ON";
    }
    try {
      yield* this.descendUntilTrigger(g);
    } finally {
      if (this.multi === "OFF") this.runScript(this.deactivateGcode, "deactivate_gcode");
    }
    return reportProbeResult(this.printer, g, this.triggerResults.splice(0)[0]!);
  }

  /** Probe (several samples within tolerance) at the current XY position. */
  runProbe(g: ProbeCommand): MaybePromise<void> {
    if (!this.sessionActive) throw new GCodeError("Internal probe error - start/end probe session mismatch");
    return runMaybeAsync(this.runProbeSteps(g));
  }

  private *runProbeSteps(g: ProbeCommand): Generator<unknown, void, unknown> {
    this.sampleResults.push(yield* sampleProbe(g, this.params.getProbeParams(g), this.toolhead(), () => this.probeOnce(g)));
  }

  pullProbedResults(): ProbeResult[] {
    return this.sampleResults.splice(0);
  }

  /** Probe once at the current position (PROBE). */
  runSingleProbe(g: ProbeCommand): MaybePromise<ProbeResult> {
    const self = this;
    return runMaybeAsync(
      (function* () {
        self.startProbeSession(g);
        yield self.runProbe(g);
        const pos = self.pullProbedResults()[0]!;
        self.endProbeSession();
        return pos;
      })(),
    );
  }

  getStatus(): Record<string, unknown> {
    return this.commands.getStatus();
  }
}

/** The lowest Z a probing move may go to (stepper_z position_min). */
export function lookupMinimumZ(printer: Printer): number {
  const cfg = printer.config;
  if (cfg.hasSection("stepper_z")) return cfg.getSection("stepper_z").getFloat("position_min", 0, { noteValid: false });
  return cfg.getSection("printer").getFloat("minimum_z_position", 0, { noteValid: false });
}

registerModule("probe", (config, printer) => new PrinterProbe(config, printer));
