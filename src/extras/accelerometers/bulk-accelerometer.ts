// Common part of the accelerometer chips the MCU streams through sensor_bulk_data (adxl345,
// mpu9250, icm20948, lis2dw/lis3dh, bmi160): config options (axes_map, rate), the chip's MCU
// objects (config_<sensor>, query_<sensor>, query_<sensor>_status), G-code commands, measurement
// sessions and decoding of the raw records into mm/s^2 printer axes. Each chip supplies its
// register sequence to start and stop streaming and its record format.
import { ConfigError } from "../../core/config/errors.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import { GCodeError } from "../../core/gcode/errors.ts";
import type { Printer } from "../../core/printer.ts";
import { BatchBulkHelper, FixedFreqReader } from "../bus/bulk-sensor.ts";
import { AccelClient, type AccelSample } from "./accel-client.ts";
import { AccelCommands } from "./accel-commands.ts";
import type { RegisterBus } from "./register-bus.ts";

export const FREEFALL_ACCEL = 9.80665 * 1000;
/** Seconds between sample batches handed to clients. */
const BATCH_UPDATES = 0.1;

export type AxisMap = [[index: number, scale: number], [index: number, scale: number], [index: number, scale: number]];

/** axes_map: which chip axis (and sign) is each printer axis; scales are mm/s^2 per LSB of chip x/y/z. */
export function readAxesMap(config: ConfigSection, sx: number, sy: number, sz: number): AxisMap {
  const map: Record<string, [number, number]> = { x: [0, sx], y: [1, sy], z: [2, sz], "-x": [0, -sx], "-y": [1, -sy], "-z": [2, -sz] };
  const axes = config.getList("axes_map", ["x", "y", "z"], { count: 3 }).map((a) => a.trim());
  const bad = axes.find((a) => !(a in map));
  if (bad !== undefined) throw new ConfigError(`Invalid axes_map parameter in section '${config.getName()}': '${bad}' is not one of x, y, z, -x, -y, -z`);
  return axes.map((a) => map[a]!) as AxisMap;
}

/** Reads one record's chip x/y/z counts; null when the record carries an error flag. */
export type RecordDecoder = (rec: Uint8Array) => [number, number, number] | null;

/** Three signed 16-bit counts per record, in the chip's byte order. */
export function int16Triple(littleEndian: boolean): RecordDecoder {
  return (rec) => {
    const v = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
    return [v.getInt16(0, littleEndian), v.getInt16(2, littleEndian), v.getInt16(4, littleEndian)];
  };
}

export interface ChipSpec {
  /** The firmware's sensor name: config_<sensor>, query_<sensor>, query_<sensor>_status. */
  sensor: string;
  /** mm/s^2 per LSB along the chip's x, y, z. */
  scale: readonly [number, number, number];
  /** Supported sample rates (Hz), the default first. */
  rates: readonly number[];
  /** Whether the section has a `rate` option (some chips run at one fixed rate). */
  rateOption: boolean;
  bytesPerSample: number;
  decode: RecordDecoder;
  /** Opens the chip's SPI/I2C device from the config section. */
  openBus(config: ConfigSection, printer: Printer): RegisterBus;
  /** The config_<sensor> line. */
  configLine(oid: number, bus: RegisterBus): string;
  /** Whether config_<sensor> follows the bus setup (added when the config is built) rather than the bus oid. */
  configAfterBus: boolean;
}

export abstract class BulkAccelerometer {
  /** The chip's name as resonance_tester reports it (last word of the section name). */
  readonly name: string;
  protected readonly sectionName: string;
  protected readonly rate: number;
  protected readonly bus: RegisterBus;
  protected readonly oid: number;
  private readonly axes: AxisMap;
  private readonly reader: FixedFreqReader;
  private readonly bulk: BatchBulkHelper<AccelSample[]>;
  /** Records with an error flag in the current session (dropped from the samples). */
  sampleErrors = 0;

  constructor(config: ConfigSection, protected readonly printer: Printer, private readonly spec: ChipSpec) {
    this.sectionName = config.getName();
    this.name = this.sectionName.split(/\s+/).at(-1)!;
    new AccelCommands(printer, this.sectionName, this);
    this.axes = readAxesMap(config, ...spec.scale);
    this.rate = spec.rateOption ? config.getInt("rate", spec.rates[0]) : spec.rates[0]!;
    if (!spec.rates.includes(this.rate)) throw new ConfigError(`Invalid rate parameter in section '${this.sectionName}': ${this.rate} (supported: ${spec.rates.join(", ")})`);
    this.bus = spec.openBus(config, printer);
    const mcu = this.bus.mcu;
    this.oid = mcu.createOid();
    if (!spec.configAfterBus) this.addConfig();
    this.reader = new FixedFreqReader(mcu, this.rate * BATCH_UPDATES * 2, spec.bytesPerSample);
    mcu.registerConfigCallback(() => {
      if (spec.configAfterBus) this.addConfig();
      this.reader.setupQueryCommand(`query_${spec.sensor}_status oid=${this.oid}`, this.oid, this.bus.queue);
    });
    this.bulk = new BatchBulkHelper(printer, this.sectionName, () => this.processBatch(), () => this.startMeasurements(), () => this.finishMeasurements(), BATCH_UPDATES);
  }

  private addConfig(): void {
    const mcu = this.bus.mcu;
    mcu.addConfigCmd(this.spec.configLine(this.oid, this.bus));
    mcu.addConfigCmd(`query_${this.spec.sensor} oid=${this.oid} rest_ticks=0`, { onRestart: true });
  }

  /** Program the chip and start streaming (calling startStreaming() at the right point). */
  protected abstract startChip(): Promise<void>;
  /** Stop streaming (calling stopStreaming()) and put the chip to rest. */
  protected abstract stopChip(): Promise<void>;

  /** Have the MCU poll the chip's FIFO four times per sample period. */
  protected startStreaming(): void {
    this.sendQuery(this.bus.mcu.secondsToClock(4 / this.rate));
  }

  protected stopStreaming(): void {
    this.sendQuery(0);
    this.reader.noteEnd();
  }

  private sendQuery(restTicks: number): void {
    const mcu = this.bus.mcu;
    mcu.sendCommand(mcu.dict.encodeCommand(`query_${this.spec.sensor}`, { oid: this.oid, rest_ticks: restTicks }), { queue: this.bus.queue });
  }

  private requireLive(): void {
    if (this.bus.mcu.isBatch()) throw new GCodeError(`${this.sectionName}: accelerometer measurements need a live MCU`);
  }

  async readReg(reg: number): Promise<number> {
    this.requireLive();
    return this.bus.readReg(reg);
  }

  async setReg(reg: number, val: number, minClock = 0): Promise<void> {
    this.requireLive();
    await this.bus.writeReg(reg, val, minClock);
  }

  /** Write a register and read it back (chips whose setReg checks every write). */
  protected async setRegChecked(reg: number, val: number): Promise<void> {
    this.requireLive();
    await this.bus.writeReg(reg, val);
    await this.verifyReg(reg, val);
  }

  /** A register that does not read back as written means wiring trouble, not a setting. */
  protected async verifyReg(reg: number, val: number): Promise<void> {
    const stored = await this.readReg(reg);
    if (stored !== val)
      throw new GCodeError(
        `Failed to set ${this.spec.sensor.toUpperCase()} register [0x${reg.toString(16)}] to 0x${val.toString(16)}: got 0x${stored.toString(16)}. This is generally indicative of connection problems (e.g. faulty wiring) or a faulty ${this.spec.sensor} chip.`,
      );
  }

  /** Read the chip id register; ids not in `known` mean noise or miswiring rather than data. */
  protected async checkChipId(reg: number, known: readonly number[], what = this.spec.sensor): Promise<number> {
    const id = await this.readReg(reg);
    if (!known.includes(id)) {
      const expected = known.length === 1 ? ` vs ${known[0]!.toString(16)}` : "";
      throw new GCodeError(`Invalid ${what} id (got ${id.toString(16)}${expected}).\nThis is generally indicative of connection problems\n(e.g. faulty wiring) or a faulty ${what} chip.`);
    }
    return id;
  }

  private async startMeasurements(): Promise<void> {
    await this.startChip();
    await this.reader.noteStart();
    this.sampleErrors = 0;
  }

  private finishMeasurements(): Promise<void> {
    return this.stopChip();
  }

  private async processBatch(): Promise<AccelSample[] | null> {
    const raw = await this.reader.pullSamples();
    const out: AccelSample[] = [];
    const [[xi, xs], [yi, ys], [zi, zs]] = this.axes;
    for (const [t, rec] of raw) {
      const xyz = this.spec.decode(rec);
      if (!xyz) {
        this.sampleErrors++;
        continue;
      }
      out.push([round6(t), round6(xyz[xi]! * xs), round6(xyz[yi]! * ys), round6(xyz[zi]! * zs)]);
    }
    return out.length ? out : null;
  }

  private toolhead(): { getLastMoveTime(): number; dwell(d: number): unknown; waitMoves(): unknown } {
    return this.printer.lookupObject("toolhead");
  }

  async dwell(seconds: number): Promise<void> {
    await this.toolhead().dwell(seconds);
  }

  /** Start a measurement session (resonance testing, ACCELEROMETER_MEASURE/QUERY). */
  async startInternalClient(): Promise<AccelClient> {
    this.requireLive();
    const client = new AccelClient(this.toolhead());
    await this.bulk.addClient((b) => client.handleBatch(b));
    return client;
  }
}

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;
