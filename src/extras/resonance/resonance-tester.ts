// [resonance_tester]: TEST_RESONANCES shakes the toolhead along an axis with a frequency sweep
// (alternating accelerations, plus an optional slow sweeping motion) while accelerometers record;
// it writes the spectra (and/or raw data) to /tmp. SHAPER_CALIBRATE does the same for X and Y and
// recommends (applies and stages for SAVE_CONFIG) input shaper settings; MEASURE_AXES_NOISE
// reports the accelerometers' noise at rest. Needs accelerometers on a live MCU.
import { ConfigError } from "../../core/config/errors.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { GCodeError } from "../../core/gcode/errors.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import type { AccelClient } from "../accelerometers/adxl345.ts";
import { type CalibrationData, calcFreqResponse, findBestShaper, saveCalibrationData } from "./shaper-calibrate.ts";

/** A test step: end time, acceleration until then, and the frequency being tested. */
export type TestStep = [time: number, accel: number, freq: number];

export class TestAxis {
  readonly name: string;
  readonly dir: [number, number, number];
  constructor(axis: "x" | "y" | "z" | null, vib: [number, number, number] | null = null) {
    if (axis !== null) {
      this.name = axis;
      this.dir = axis === "x" ? [1, 0, 0] : axis === "y" ? [0, 1, 0] : [0, 0, 1];
    } else {
      const [x, y, z] = vib!;
      this.name = `axis=${x.toFixed(3)},${y.toFixed(3)},${z.toFixed(3)}`;
      const s = Math.hypot(x, y, z);
      this.dir = [x / s, y / s, z / s];
    }
  }
  matches(chipAxis: string): boolean {
    return (!!this.dir[0] && chipAxis.includes("x")) || (!!this.dir[1] && chipAxis.includes("y")) || (!!this.dir[2] && chipAxis.includes("z"));
  }
  point(l: number): [number, number, number] {
    return [this.dir[0] * l, this.dir[1] * l, this.dir[2] * l];
  }
}

function parseAxis(g: GCodeCommand, raw: string): TestAxis {
  const a = raw.toLowerCase();
  if (a === "x" || a === "y" || a === "z") return new TestAxis(a);
  const dirs = a.split(",");
  if (dirs.length !== 2 && dirs.length !== 3) throw g.error(`Invalid format of axis '${a}'`);
  const v = dirs.map((d) => Number(d.trim()));
  if (v.some((x, i) => !Number.isFinite(x) || dirs[i]!.trim() === "")) throw g.error(`Unable to parse axis direction '${a}'`);
  return new TestAxis(null, [v[0]!, v[1]!, v[2] ?? 0]);
}

/** Frequency sweep: each half period a full-speed reversal, amplitude accel_per_hz * freq. */
class VibrationGenerator {
  private readonly minFreq: number;
  private readonly maxFreq: number;
  private readonly maxFreqZ: number;
  private readonly accelPerHz: number;
  private readonly accelPerHzZ: number;
  private readonly hzPerSec: number;
  private start = 0;
  end = 0;
  private accel = 0;
  private rate = 0;

  constructor(config: ConfigSection) {
    this.minFreq = config.getFloat("min_freq", 5, { minval: 1 });
    this.maxFreq = config.getFloat("max_freq", 135, { minval: this.minFreq, maxval: 300 });
    this.maxFreqZ = config.getFloat("max_freq_z", 100, { minval: this.minFreq, maxval: 300 });
    this.accelPerHz = config.getFloat("accel_per_hz", 60, { above: 0 });
    this.accelPerHzZ = config.getFloat("accel_per_hz_z", 15, { above: 0 });
    this.hzPerSec = config.getFloat("hz_per_sec", 1, { minval: 0.1, maxval: 2 });
  }

  prepare(g: GCodeCommand, isZ: boolean): void {
    this.start = g.getFloat("FREQ_START", this.minFreq, { minval: 1 });
    this.end = g.getFloat("FREQ_END", isZ ? this.maxFreqZ : this.maxFreq, { minval: this.start, maxval: 300 });
    this.accel = g.getFloat("ACCEL_PER_HZ", isZ ? this.accelPerHzZ : this.accelPerHz, { above: 0 });
    this.rate = g.getFloat("HZ_PER_SEC", this.hzPerSec, { above: 0, maxval: 2 });
  }

  generate(): TestStep[] {
    const res: TestStep[] = [];
    let freq = this.start;
    let sign = 1;
    let time = 0;
    while (freq <= this.end + 0.000001) {
      const tSeg = 0.25 / freq;
      const accel = this.accel * freq;
      time += tSeg;
      res.push([time, sign * accel, freq]);
      time += tSeg;
      res.push([time, -sign * accel, freq]);
      freq += 2 * tSeg * this.rate;
      sign = -sign;
    }
    return res;
  }
}

/** The vibrations plus a slow back-and-forth sweep so the toolhead does not dwell on one spot. */
export class SweepingGenerator {
  readonly vib: VibrationGenerator;
  private readonly sweepAccel: number;
  private readonly sweepAccelZ: number;
  private readonly sweepPeriod: number;
  private accel = 0;
  private period = 0;

  constructor(config: ConfigSection) {
    this.vib = new VibrationGenerator(config);
    this.sweepAccel = config.getFloat("sweeping_accel", 400, { above: 0 });
    this.sweepAccelZ = config.getFloat("sweeping_accel_z", 50, { above: 0 });
    this.sweepPeriod = config.getFloat("sweeping_period", 1.2, { minval: 0 });
  }

  prepare(g: GCodeCommand, isZ: boolean): void {
    this.vib.prepare(g, isZ);
    this.accel = g.getFloat("SWEEPING_ACCEL", isZ ? this.sweepAccelZ : this.sweepAccel, { above: 0 });
    this.period = g.getFloat("SWEEPING_PERIOD", this.sweepPeriod, { minval: 0 });
  }

  generate(): TestStep[] {
    const seq = this.vib.generate();
    let fraction = Math.SQRT2 * 0.125;
    let tRem = this.period ? this.period * fraction : Number.POSITIVE_INFINITY;
    const sweep = this.period ? this.accel : 0;
    const res: TestStep[] = [];
    let lastT = 0;
    let sig = 1;
    fraction += 0.25;
    for (const [nextT, accel, freq] of seq) {
      let tSeg = nextT - lastT;
      while (tRem <= tSeg) {
        lastT += tRem;
        res.push([lastT, accel + sweep * sig, freq]);
        tSeg -= tRem;
        tRem = this.period * fraction;
        fraction = 0.5;
        sig = -sig;
      }
      tRem -= tSeg;
      res.push([nextT, accel + sweep * sig, freq]);
      lastT = nextT;
    }
    return res;
  }
}

interface Accelerometer {
  name: string;
  startInternalClient(): Promise<AccelClient>;
}

/** Drive the toolhead through a test sequence along `axis` from the current position. */
export async function runTestMoves(printer: Printer, seq: TestStep[], axis: TestAxis, g: GCodeCommand): Promise<void> {
  const th = printer.lookupObject("toolhead");
  const tpos = th.getPosition();
  let [x, y, z] = tpos as [number, number, number];
  const info = th.getStatus(0);
  const oldVel = info.max_velocity as number;
  const oldAccel = info.max_accel as number;
  const oldMcr = info.minimum_cruise_ratio as number;
  const maxAccel = Math.max(...seq.map(([, a]) => Math.abs(a)));
  let maxV = 0;
  let lv = 0;
  let lt = 0;
  for (const [t, a] of seq) {
    const v = lv + a * (t - lt);
    maxV = Math.max(maxV, Math.abs(v));
    [lt, lv] = [t, v];
  }
  if (axis.dir[2]) {
    const pc = printer.config.getSection("printer");
    const maxZV = pc.getFloat("max_z_velocity", null, { noteValid: false }) ?? pc.getFloat("max_velocity", undefined, { noteValid: false });
    const maxZA = pc.getFloat("max_z_accel", null, { noteValid: false }) ?? pc.getFloat("max_accel", undefined, { noteValid: false });
    const errs: string[] = [];
    if (maxV > maxZV) errs.push(`Insufficient maximum Z velocity for these test parameters, increase at least to ${(maxV + 0.5).toFixed(0)} mm/s for the resonance test.`);
    if (maxAccel > maxZA) errs.push(`Insufficient maximum Z acceleration for these test parameters, increase at least to ${(maxAccel + 0.5).toFixed(0)} mm/s^2 for the resonance test.`);
    if (errs.length) throw g.error(errs.join("\n"));
  }
  const gcode = printer.gcode;
  await gcode.runScriptFromCommand(`SET_VELOCITY_LIMIT VELOCITY=${(maxV + 0.5).toFixed(0)} ACCEL=${(maxAccel + 0.5).toFixed(0)} MINIMUM_CRUISE_RATIO=0`);
  const shaper = printer.lookupObject<{ disableShaping(): void; enableShaping(): void } | null>("input_shaper", null);
  const disabled = shaper !== null && !g.getInt("INPUT_SHAPING", 0);
  if (disabled) {
    shaper.disableShaping();
    g.respondInfo("Disabled [input_shaper] for resonance testing");
  }
  let lastV = 0;
  let lastT = 0;
  let lastFreq = 0;
  for (const [nextT, accel, freq] of seq) {
    const tSeg = nextT - lastT;
    const absLastV = Math.abs(lastV);
    let v: number;
    let halfInvAccel: number;
    let d: number;
    if (Math.abs(accel) < 0.000001) {
      v = lastV;
      if (absLastV < 0.000001) {
        await th.dwell(tSeg);
        [lastT, lastFreq] = [nextT, freq];
        continue;
      }
      halfInvAccel = 0;
      d = v * tSeg;
    } else {
      await th.setMaxVelocities(null, Math.abs(accel), null, null);
      v = lastV + accel * tSeg;
      if (Math.abs(v) < 0.000001) v = 0;
      halfInvAccel = 0.5 / accel;
      d = (v * v - lastV * lastV) * halfInvAccel;
    }
    const [dx, dy, dz] = axis.point(d);
    const [nx, ny, nz] = [x + dx, y + dy, z + dz];
    th.limitNextJunctionSpeed(absLastV);
    if (v * lastV < 0) {
      // Reversal: decelerate to a stop first
      const [ax, ay, az] = axis.point(-lastV * lastV * halfInvAccel);
      await th.move([x + ax, y + ay, z + az, ...tpos.slice(3)], absLastV);
      await th.move([nx, ny, nz, ...tpos.slice(3)], Math.abs(v));
    } else await th.move([nx, ny, nz, ...tpos.slice(3)], Math.max(Math.abs(v), absLastV));
    if (Math.floor(freq) > Math.floor(lastFreq)) g.respondInfo(`Testing frequency ${freq.toFixed(0)} Hz`);
    [x, y, z] = [nx, ny, nz];
    [lastT, lastV, lastFreq] = [nextT, v, freq];
  }
  if (lastV) {
    const [ax, ay, az] = axis.point((0.5 * lastV * Math.abs(lastV)) / oldAccel);
    await th.setMaxVelocities(null, oldAccel, null, null);
    await th.move([x + ax, y + ay, z + az, ...tpos.slice(3)], Math.abs(lastV));
  }
  await gcode.runScriptFromCommand(`SET_VELOCITY_LIMIT VELOCITY=${oldVel.toFixed(3)} ACCEL=${oldAccel.toFixed(3)} MINIMUM_CRUISE_RATIO=${oldMcr.toFixed(3)}`);
  if (disabled) {
    shaper.enableShaping();
    g.respondInfo("Re-enabled [input_shaper]");
  }
}

const timestamp = () => new Date().toISOString().replace(/[-:]/g, "").replace("T", "_").slice(0, 15);
const validSuffix = (s: string) => /^[A-Za-z0-9_-]+$/.test(s) && /[A-Za-z0-9]/.test(s);

class ResonanceTester {
  private readonly moveSpeed: number;
  private readonly generator: SweepingGenerator;
  private readonly chipNames: [axes: string, chip: string][];
  private readonly maxSmoothing: number | null;
  private readonly probePoints: [number, number, number][];
  private chips: [string, Accelerometer][] = [];

  constructor(config: ConfigSection, private readonly printer: Printer) {
    this.moveSpeed = config.getFloat("move_speed", 50, { above: 0 });
    this.generator = new SweepingGenerator(config);
    const pairs: [string, string][] = config.get("accel_chip_x", null)
      ? [["x", config.get("accel_chip_x").trim()], ["y", config.get("accel_chip_y").trim()], ["z", config.get("accel_chip_z", "").trim()]]
      : [["xy", config.get("accel_chip").trim()], ["z", config.get("accel_chip_z", "").trim()]];
    // One entry per chip with all the axes it measures
    const byChip = new Map<string, string>();
    for (const [axes, chip] of [...pairs].sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))) byChip.set(chip, [...(byChip.get(chip) ?? ""), ...axes].sort().join(""));
    this.chipNames = [...byChip].map(([chip, axes]) => [axes, chip]);
    this.maxSmoothing = config.getFloat("max_smoothing", null, { minval: 0.05 });
    this.probePoints = (config.getLists<number>("probe_points", undefined, { seps: [",", "\n"], parser: Number, count: 3 }) as number[][]).map((p) => [p[0]!, p[1]!, p[2]!]);
    const gcode = printer.gcode;
    gcode.register("MEASURE_AXES_NOISE", (g) => this.cmdNoise(g), { desc: "Measures noise of all enabled accelerometer chips" });
    gcode.register("TEST_RESONANCES", (g) => this.cmdTest(g), { desc: "Runs the resonance test for a specified axis" });
    gcode.register("SHAPER_CALIBRATE", (g) => this.cmdCalibrate(g), { desc: "Similar to TEST_RESONANCES but suggest input shaper config" });
    printer.registerEventHandler("klippy:connect", () => {
      this.chips = this.chipNames.filter(([, n]) => n).map(([axes, n]) => [axes, this.accelerometer(n, (m) => new ConfigError(m))]);
    });
  }

  private accelerometer(name: string, err: (msg: string) => Error): Accelerometer {
    const chip = this.printer.lookupObject<Partial<Accelerometer> | null>(name, null);
    if (!chip) throw err(`Name '${name}' is not valid for CHIPS parameter`);
    if (typeof chip.startInternalClient !== "function") throw err(`'${name}' is not an accelerometer`);
    return chip as Accelerometer;
  }

  private filename(base: string, suffix: string, axis: TestAxis | null, point: number[] | null, chip: string | null): string {
    let name = base;
    if (axis) name += `_${axis.name}`;
    if (chip) name += `_${chip.replaceAll(" ", "_")}`;
    if (point) name += `_${point.map((v) => v.toFixed(3)).join("_")}`;
    return `/tmp/${name}_${suffix}.csv`;
  }

  /** Run the test over each point and axis; spectra per axis (null when not requested). */
  private async runTest(g: GCodeCommand, axes: TestAxis[], spectra: boolean, suffix: string, rawSuffix: string | null, chips: Accelerometer[] | null, point: number[] | null): Promise<Map<TestAxis, CalibrationData | null>> {
    const th = this.printer.lookupObject("toolhead");
    const out = new Map<TestAxis, CalibrationData | null>(axes.map((a) => [a, null]));
    const hasZ = axes.map((a) => !!a.dir[2]);
    if (hasZ.every(Boolean) !== hasZ.some(Boolean)) throw g.error("Cannot test Z axis together with other axes");
    this.generator.prepare(g, hasZ.every(Boolean));
    const points = point ? [point] : this.probePoints;
    for (const p of points) {
      await th.manualMove(p, this.moveSpeed);
      if (points.length > 1 || point) g.respondInfo(`Probing point (${p.map((v) => v.toFixed(3)).join(", ")})`);
      for (const axis of axes) {
        await th.waitMoves();
        await th.dwell(0.5);
        if (axes.length > 1) g.respondInfo(`Testing axis ${axis.name}`);
        const clients: [AccelClient, string][] = [];
        for (const [chipAxes, chip] of chips ? chips.map((c) => ["xyz", c] as const) : this.chips)
          if (chips || axis.matches(chipAxes)) clients.push([await chip.startInternalClient(), chip.name]);
        if (!clients.length) throw g.error(`No accelerometers specified that can measure resonances over axis '${axis.name}'`);
        await runTestMoves(this.printer, this.generator.generate(), axis, g);
        const named = chips !== null || clients.length > 1;
        for (const [client, name] of clients) {
          await client.finishMeasurements();
          if (rawSuffix === null) continue;
          const file = this.filename("raw_data", rawSuffix, axis, points.length > 1 ? p : null, named ? name : null);
          client.writeToFile(file);
          g.respondInfo(`Writing raw accelerometer data to ${file} file`);
        }
        if (!spectra) continue;
        for (const [client, name] of clients) {
          if (!client.hasValidSamples()) throw g.error(`accelerometer '${name}' measured no data`);
          const dataName = this.filename("resonances", suffix, axis, points.length > 1 ? p : null, named ? name : null);
          const data = calcFreqResponse(dataName, client.getSamples());
          if (!data) throw g.error(`Internal error processing accelerometer data ${name}`);
          const prev = out.get(axis);
          if (prev) prev.addData(data);
          else out.set(axis, data);
        }
      }
    }
    return out;
  }

  private parseChips(text: string): Accelerometer[] {
    return text.split(",").map((n) => this.accelerometer(n.trim(), (m) => new GCodeError(m)));
  }

  private maxCalibrationFreq(): number {
    return 1.5 * this.generator.vib.end;
  }

  private async cmdTest(g: GCodeCommand): Promise<void> {
    const axis = parseAxis(g, g.get("AXIS"));
    const chipsText = g.get("CHIPS", null);
    const pointText = g.get("POINT", null);
    let point: number[] | null = null;
    if (pointText) {
      const parts = pointText.split(",");
      if (parts.length !== 3) throw g.error("Invalid POINT parameter, must be 'x,y,z'");
      point = parts.map((s) => Number(s.trim()));
      if (point.some((v, i) => !Number.isFinite(v) || parts[i]!.trim() === "")) throw g.error("Invalid POINT parameter, must be 'x,y,z' where x, y and z are valid floating point numbers");
    }
    const chips = chipsText ? this.parseChips(chipsText) : null;
    const outputs = g.get("OUTPUT", "resonances").toLowerCase().split(",");
    for (const o of outputs) if (o !== "resonances" && o !== "raw_data") throw g.error(`Unsupported output '${o}', only 'resonances' and 'raw_data' are supported`);
    const suffix = g.get("NAME", timestamp());
    if (!validSuffix(suffix)) throw g.error("Invalid NAME parameter");
    const csv = outputs.includes("resonances");
    const data = (await this.runTest(g, [axis], csv, suffix, outputs.includes("raw_data") ? suffix : null, chips, point)).get(axis);
    if (csv && data) {
      const file = this.filename("resonances", suffix, axis, point, null);
      saveCalibrationData(file, data, null, this.maxCalibrationFreq());
      g.respondInfo(`Resonances data written to ${file} file`);
    }
  }

  private async cmdCalibrate(g: GCodeCommand): Promise<void> {
    const axisText = g.get("AXIS", null);
    let axes: TestAxis[];
    if (!axisText) axes = [new TestAxis("x"), new TestAxis("y")];
    else if (!["x", "y", "z"].includes(axisText.toLowerCase())) throw g.error(`Unsupported axis '${axisText}'`);
    else axes = [new TestAxis(axisText.toLowerCase() as "x" | "y" | "z")];
    const chipsText = g.get("CHIPS", null);
    const chips = chipsText ? this.parseChips(chipsText) : null;
    const maxSmoothing = g.getFloat("MAX_SMOOTHING", this.maxSmoothing, { minval: 0.05 });
    const suffix = g.get("NAME", timestamp());
    if (!validSuffix(suffix)) throw g.error("Invalid NAME parameter");
    const data = await this.runTest(g, axes, true, suffix, null, chips, null);
    const th = this.printer.lookupObject("toolhead");
    const scv = th.getStatus(0).square_corner_velocity as number;
    const autosave = this.printer.config.autosave;
    for (const axis of axes) {
      g.respondInfo(`Calculating the best input shaper parameters for ${axis.name} axis`);
      const d = data.get(axis)!;
      d.normalizeToFrequencies();
      const maxFreq = this.maxCalibrationFreq();
      const [best, all] = findBestShaper(d, scv, maxSmoothing, maxFreq, (m) => g.respondInfo(m));
      g.respondInfo(`Recommended shaper_type_${axis.name} = ${best.name}, shaper_freq_${axis.name} = ${best.freq.toFixed(1)} Hz`);
      if (this.printer.lookupObject("input_shaper", null))
        await this.printer.gcode.runScriptFromCommand(`SET_INPUT_SHAPER SHAPER_TYPE_${axis.name.toUpperCase()}=${best.name} SHAPER_FREQ_${axis.name.toUpperCase()}=${best.freq}`);
      autosave.set("input_shaper", `shaper_type_${axis.name}`, best.name);
      autosave.set("input_shaper", `shaper_freq_${axis.name}`, best.freq.toFixed(1));
      const file = this.filename("calibration_data", suffix, axis, null, null);
      saveCalibrationData(file, d, all, maxFreq);
      g.respondInfo(`Shaper calibration data written to ${file} file`);
    }
    g.respondInfo("The SAVE_CONFIG command will update the printer config file\nwith these parameters and restart the printer.");
  }

  private async cmdNoise(g: GCodeCommand): Promise<void> {
    const measTime = g.getFloat("MEAS_TIME", 2, { above: 0 });
    const clients: [string, AccelClient][] = [];
    for (const [axes, chip] of this.chips) clients.push([axes, await chip.startInternalClient()]);
    await this.printer.lookupObject("toolhead").dwell(measTime);
    for (const [, c] of clients) await c.finishMeasurements();
    for (const [axes, c] of clients) {
      if (!c.hasValidSamples()) throw g.error(`${axes}-axis accelerometer measured no data`);
      const d = calcFreqResponse(null, c.getSamples());
      if (!d) throw g.error(`Internal error processing accelerometer data ${axes}`);
      const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
      g.respondInfo(`Axes noise for ${axes}-axis accelerometer: ${mean(d.psdX).toFixed(6)} (x), ${mean(d.psdY).toFixed(6)} (y), ${mean(d.psdZ).toFixed(6)} (z)`);
    }
  }
}

registerModule("resonance_tester", (config, printer) => new ResonanceTester(config, printer));
