// [adxl345] / [adxl345 NAME]: the ADXL345 accelerometer on SPI, streamed by the MCU
// (config_adxl345, query_adxl345, sensor_bulk_data). ACCELEROMETER_MEASURE starts/stops a
// recording (written as CSV to /tmp), ACCELEROMETER_QUERY reads the current acceleration,
// ACCELEROMETER_DEBUG_READ / _WRITE access registers. Measuring needs a live MCU.
import { writeFileSync } from "node:fs";
import { ConfigError } from "../config/errors.ts";
import type { ConfigSection } from "../config/section.ts";
import type { GCodeCommand } from "../gcode/command.ts";
import { GCodeError } from "../gcode/errors.ts";
import { type Printer, registerModule } from "../printer.ts";
import { BatchBulkHelper, FixedFreqReader } from "./bulk-sensor.ts";
import { type McuSpi, spiFromConfig } from "./bus.ts";

const REG_DEVID = 0x00;
const REG_BW_RATE = 0x2c;
const REG_POWER_CTL = 0x2d;
const REG_DATA_FORMAT = 0x31;
const REG_FIFO_CTL = 0x38;
const REG_MOD_READ = 0x80;
const QUERY_RATES: Record<number, number> = { 25: 0x8, 50: 0x9, 100: 0xa, 200: 0xb, 400: 0xc, 800: 0xd, 1600: 0xe, 3200: 0xf };
const DEV_ID = 0xe5;
const SET_FIFO_CTL = 0x90;
const FREEFALL_ACCEL = 9.80665 * 1000;
/** mm/s^2 per LSB in full-resolution mode (datasheet: 3.9 mg/LSB, X/Y typically 1/265 g at 3.3 V). */
const SCALE_XY = 0.003774 * FREEFALL_ACCEL;
const SCALE_Z = 0.003906 * FREEFALL_ACCEL;
const BATCH_UPDATES = 0.1;

export type AccelSample = [time: number, x: number, y: number, z: number];

/** One measurement session of an accelerometer, between its start and finishMeasurements(). */
export class AccelClient {
  private readonly samples: AccelSample[] = [];
  private finished = false;
  private readonly startTime: number;
  private endTime: number;

  constructor(private readonly toolhead: { getLastMoveTime(): number; waitMoves(): unknown }) {
    this.startTime = this.endTime = toolhead.getLastMoveTime();
  }

  /** Batch callback: keep samples until finished (and at most ~10000 batches' worth). */
  handleBatch(batch: AccelSample[]): boolean {
    if (this.finished || this.samples.length > 10_000_000) return false;
    this.samples.push(...batch);
    return true;
  }

  /** Stop at the toolhead's current end of moves (after those moves have run). */
  async finishMeasurements(): Promise<void> {
    this.endTime = this.toolhead.getLastMoveTime();
    await this.toolhead.waitMoves();
    this.finished = true;
  }

  hasValidSamples(): boolean {
    return this.samples.some(([t]) => t >= this.startTime && t <= this.endTime);
  }

  /** Samples within the measured time span. */
  getSamples(): AccelSample[] {
    return this.samples.filter(([t]) => t >= this.startTime && t <= this.endTime);
  }

  writeToFile(path: string): void {
    writeFileSync(path, `#time,accel_x,accel_y,accel_z\n${this.getSamples().map((s) => s.map((v) => v.toFixed(6)).join(",")).join("\n")}\n`);
  }
}
type AxisMap = [index: number, scale: number][];

/** axes_map: which chip axis (and sign) is each printer axis. */
export function readAxesMap(config: ConfigSection, sx: number, sy: number, sz: number): AxisMap {
  const map: Record<string, [number, number]> = { x: [0, sx], y: [1, sy], z: [2, sz], "-x": [0, -sx], "-y": [1, -sy], "-z": [2, -sz] };
  const axes = config.getList("axes_map", ["x", "y", "z"], { count: 3 }).map((a) => a.trim());
  if (axes.some((a) => !(a in map))) throw new ConfigError(`Invalid axes_map parameter in section '${config.getName()}'`);
  return axes.map((a) => map[a]!);
}

/** Decode one 5-byte ADXL345 record (13-bit two's complement X/Y/Z packed by the MCU); null on an error flag. */
export function decodeAdxl345(rec: Uint8Array): [number, number, number] | null {
  const [xl, yl, zl, xzh, yzh] = rec as unknown as [number, number, number, number, number];
  if (yzh & 0x80) return null;
  const rx = (xl | ((xzh & 0x1f) << 8)) - ((xzh & 0x10) << 9);
  const ry = (yl | ((yzh & 0x1f) << 8)) - ((yzh & 0x10) << 9);
  const rz = (zl | ((xzh & 0xe0) << 3) | ((yzh & 0xe0) << 6)) - ((yzh & 0x40) << 7);
  return [rx, ry, rz];
}

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;

class Adxl345 {
  readonly name: string;
  private readonly baseName: string;
  private readonly axes: AxisMap;
  private readonly rate: number;
  private readonly spi: McuSpi;
  private readonly oid: number;
  private readonly reader: FixedFreqReader;
  private readonly bulk: BatchBulkHelper<AccelSample[]>;
  private errors = 0;
  private recording: AccelClient | null = null;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    const parts = config.getName().split(/\s+/);
    this.baseName = parts[0]!;
    this.name = parts.at(-1)!;
    this.registerCommands(this.name);
    if (parts.length === 1) this.registerCommands(null);
    this.axes = readAxesMap(config, SCALE_XY, SCALE_XY, SCALE_Z);
    this.rate = config.getInt("rate", 3200);
    if (!(this.rate in QUERY_RATES)) throw new ConfigError(`Invalid rate parameter: ${this.rate} (section '${config.getName()}')`);
    this.spi = spiFromConfig(config, printer, 3, { defaultSpeed: 5000000 });
    const mcu = this.spi.mcu;
    this.oid = mcu.createOid();
    mcu.addConfigCmd(`config_adxl345 oid=${this.oid} spi_oid=${this.spi.oid}`);
    mcu.addConfigCmd(`query_adxl345 oid=${this.oid} rest_ticks=0`, { onRestart: true });
    this.reader = new FixedFreqReader(mcu, this.rate * BATCH_UPDATES * 2, 5);
    mcu.registerConfigCallback(() => this.reader.setupQueryCommand(`query_adxl345_status oid=${this.oid}`, this.oid, this.spi.queue));
    this.bulk = new BatchBulkHelper(printer, config.getName(), () => this.processBatch(), () => this.startMeasurements(), () => this.finishMeasurements(), BATCH_UPDATES);
  }

  private registerCommands(name: string | null): void {
    const gcode = this.printer.gcode;
    try {
      gcode.registerMux("ACCELEROMETER_MEASURE", "CHIP", name, (g) => this.cmdMeasure(g), "Start/stop accelerometer");
      gcode.registerMux("ACCELEROMETER_QUERY", "CHIP", name, (g) => this.cmdQuery(g), "Query accelerometer for the current values");
      gcode.registerMux("ACCELEROMETER_DEBUG_READ", "CHIP", name, (g) => this.cmdDebugRead(g), "Query register (for debugging)");
      gcode.registerMux("ACCELEROMETER_DEBUG_WRITE", "CHIP", name, (g) => this.cmdDebugWrite(g), "Set register (for debugging)");
    } catch {
      throw new ConfigError(name === null ? `Default accelerometer already defined; section '${this.baseName}' must include an additional name, e.g. '${this.baseName} second_accelerometer'` : `Accelerometer with name '${name}' already defined`);
    }
  }

  async readReg(reg: number): Promise<number> {
    const r = await this.spi.transfer([reg | REG_MOD_READ, 0x00]);
    return r.response[1]!;
  }

  async setReg(reg: number, val: number): Promise<void> {
    this.spi.send([reg, val & 0xff]);
    const stored = await this.readReg(reg);
    if (stored !== val)
      throw new GCodeError(`Failed to set ADXL345 register [0x${reg.toString(16)}] to 0x${val.toString(16)}: got 0x${stored.toString(16)}. This is generally indicative of connection problems (e.g. faulty wiring) or a faulty adxl345 chip.`);
  }

  private async startMeasurements(): Promise<void> {
    // A wrong device id means noise or miswiring, not data
    const id = await this.readReg(REG_DEVID);
    if (id !== DEV_ID) throw new GCodeError(`Invalid adxl345 id (got ${id.toString(16)} vs ${DEV_ID.toString(16)}).\nThis is generally indicative of connection problems\n(e.g. faulty wiring) or a faulty adxl345 chip.`);
    await this.setReg(REG_POWER_CTL, 0x00);
    await this.setReg(REG_DATA_FORMAT, 0x0b);
    await this.setReg(REG_FIFO_CTL, 0x00);
    await this.setReg(REG_BW_RATE, QUERY_RATES[this.rate]!);
    await this.setReg(REG_FIFO_CTL, SET_FIFO_CTL);
    const mcu = this.spi.mcu;
    mcu.sendCommand(mcu.dict.encodeCommand("query_adxl345", { oid: this.oid, rest_ticks: mcu.secondsToClock(4 / this.rate) }), { queue: this.spi.queue });
    await this.setReg(REG_POWER_CTL, 0x08);
    await this.reader.noteStart();
    this.errors = 0;
  }

  private async finishMeasurements(): Promise<void> {
    await this.setReg(REG_POWER_CTL, 0x00);
    const mcu = this.spi.mcu;
    mcu.sendCommand(mcu.dict.encodeCommand("query_adxl345", { oid: this.oid, rest_ticks: 0 }), { queue: this.spi.queue });
    this.reader.noteEnd();
  }

  private async processBatch(): Promise<AccelSample[] | null> {
    const raw = await this.reader.pullSamples();
    const out: AccelSample[] = [];
    for (const [t, rec] of raw) {
      const xyz = decodeAdxl345(rec);
      if (!xyz) {
        this.errors++;
        continue;
      }
      const [[xi, xs], [yi, ys], [zi, zs]] = this.axes as [[number, number], [number, number], [number, number]];
      out.push([round6(t), round6(xyz[xi]! * xs), round6(xyz[yi]! * ys), round6(xyz[zi]! * zs)]);
    }
    return out.length ? out : null;
  }

  private requireLive(): void {
    if (this.spi.mcu.isBatch()) throw new GCodeError(`${this.baseName} ${this.name}: accelerometer measurements need a live MCU`);
  }

  private toolhead(): { getLastMoveTime(): number; dwell(d: number): unknown; waitMoves(): unknown } {
    return this.printer.lookupObject("toolhead");
  }

  /** Start a measurement session (resonance testing, ACCELEROMETER_MEASURE/QUERY). */
  async startInternalClient(): Promise<AccelClient> {
    this.requireLive();
    const client = new AccelClient(this.toolhead());
    await this.bulk.addClient((b) => client.handleBatch(b));
    return client;
  }

  private async cmdMeasure(g: GCodeCommand): Promise<void> {
    if (this.recording === null) {
      this.recording = await this.startInternalClient();
      g.respondInfo("accelerometer measurements started");
      return;
    }
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "_").slice(0, 15);
    const name = g.get("NAME", stamp);
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw g.error("Invalid NAME parameter");
    const client = this.recording;
    this.recording = null;
    await client.finishMeasurements();
    const file = this.baseName === this.name ? `/tmp/${this.baseName}-${name}.csv` : `/tmp/${this.baseName}-${this.name}-${name}.csv`;
    client.writeToFile(file);
    g.respondInfo(`Writing raw accelerometer data to ${file} file`);
  }

  private async cmdQuery(g: GCodeCommand): Promise<void> {
    const client = await this.startInternalClient();
    await this.toolhead().dwell(1);
    await client.finishMeasurements();
    const last = client.getSamples().at(-1);
    if (!last) throw g.error("No accelerometer measurements found");
    g.respondInfo(`accelerometer values (x, y, z): ${last[1].toFixed(6)}, ${last[2].toFixed(6)}, ${last[3].toFixed(6)}`);
  }

  private parseInt0(g: GCodeCommand, name: string, max: number): number {
    const text = g.get(name);
    const v = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isInteger(v)) throw g.error(`Unable to parse '${text}' as a int`);
    if (v < 0 || v > max) throw g.error(`Error on '${g.getCommandline()}': ${name} must be between 0 and ${max}`);
    return v;
  }

  private async cmdDebugRead(g: GCodeCommand): Promise<void> {
    this.requireLive();
    const reg = this.parseInt0(g, "REG", 127);
    const val = await this.readReg(reg);
    g.respondInfo(`Accelerometer REG[0x${reg.toString(16)}] = 0x${val.toString(16)}`);
  }

  private async cmdDebugWrite(g: GCodeCommand): Promise<void> {
    this.requireLive();
    await this.setReg(this.parseInt0(g, "REG", 127), this.parseInt0(g, "VAL", 255));
  }
}

registerModule("adxl345", (config, printer) => new Adxl345(config, printer));
registerModule("adxl345 ", (config, printer) => new Adxl345(config, printer));
