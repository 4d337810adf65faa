// The G-code commands every accelerometer chip answers, routed by CHIP=<name> (the section's last
// word; a section without a name is also the default): ACCELEROMETER_MEASURE starts/stops a
// recording written as CSV to /tmp, ACCELEROMETER_QUERY reads the current acceleration,
// ACCELEROMETER_DEBUG_READ / _WRITE access chip registers.
import { ConfigError } from "../../core/config/errors.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import type { Printer } from "../../core/printer.ts";
import type { AccelClient } from "./accel-client.ts";

/** What the commands need from a chip. */
export interface AccelChip {
  startInternalClient(): Promise<AccelClient>;
  readReg(reg: number): Promise<number>;
  setReg(reg: number, val: number): Promise<void>;
  dwell(seconds: number): Promise<unknown>;
}

export class AccelCommands {
  private recording: AccelClient | null = null;
  /** CSV files are /tmp/<chip>[-<name>]-<NAME>.csv */
  private readonly filePrefix: string;

  /** `sectionName` is "adxl345" or "adxl345 NAME". */
  constructor(private readonly printer: Printer, sectionName: string, private readonly chip: AccelChip) {
    const parts = sectionName.split(/\s+/);
    const baseName = parts[0]!;
    const name = parts.at(-1)!;
    this.filePrefix = baseName === name ? `/tmp/${baseName}` : `/tmp/${baseName}-${name}`;
    if (!this.register(name)) throw new ConfigError(`Accelerometer with name '${name}' already defined`);
    if (parts.length === 1 && !this.register(null))
      throw new ConfigError(`Default accelerometer already defined; section '${baseName}' must include an additional name, e.g. '${baseName} second_accelerometer'`);
  }

  /** False when another chip already has these commands for `name`. */
  private register(name: string | null): boolean {
    const gcode = this.printer.gcode;
    try {
      gcode.registerMux("ACCELEROMETER_MEASURE", "CHIP", name, (g) => this.cmdMeasure(g), "Start/stop accelerometer");
      gcode.registerMux("ACCELEROMETER_QUERY", "CHIP", name, (g) => this.cmdQuery(g), "Query accelerometer for the current values");
      gcode.registerMux("ACCELEROMETER_DEBUG_READ", "CHIP", name, (g) => this.cmdDebugRead(g), "Query register (for debugging)");
      gcode.registerMux("ACCELEROMETER_DEBUG_WRITE", "CHIP", name, (g) => this.cmdDebugWrite(g), "Set register (for debugging)");
      return true;
    } catch (e) {
      if (e instanceof ConfigError) return false;
      throw e;
    }
  }

  private async cmdMeasure(g: GCodeCommand): Promise<void> {
    if (this.recording === null) {
      this.recording = await this.chip.startInternalClient();
      g.respondInfo("accelerometer measurements started");
      return;
    }
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "_").slice(0, 15);
    const name = g.get("NAME", stamp);
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw g.error("Invalid NAME parameter");
    const client = this.recording;
    this.recording = null;
    await client.finishMeasurements();
    const file = `${this.filePrefix}-${name}.csv`;
    client.writeToFile(file);
    g.respondInfo(`Writing raw accelerometer data to ${file} file`);
  }

  private async cmdQuery(g: GCodeCommand): Promise<void> {
    const client = await this.chip.startInternalClient();
    await this.chip.dwell(1);
    await client.finishMeasurements();
    const last = client.getSamples().at(-1);
    if (!last) throw g.error("No accelerometer measurements found");
    g.respondInfo(`accelerometer values (x, y, z): ${last[1].toFixed(6)}, ${last[2].toFixed(6)}, ${last[3].toFixed(6)}`);
  }

  /** A register number or value in decimal or 0x hex, within [0, max]. */
  private regParam(g: GCodeCommand, name: string, max: number): number {
    const text = g.get(name);
    const v = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isInteger(v)) throw g.error(`Unable to parse '${text}' as a int`);
    if (v < 0 || v > max) throw g.error(`Error on '${g.getCommandline()}': ${name} must be between 0 and ${max}`);
    return v;
  }

  private async cmdDebugRead(g: GCodeCommand): Promise<void> {
    const reg = this.regParam(g, "REG", 127);
    const val = await this.chip.readReg(reg);
    g.respondInfo(`Accelerometer REG[0x${reg.toString(16)}] = 0x${val.toString(16)}`);
  }

  private async cmdDebugWrite(g: GCodeCommand): Promise<void> {
    await this.chip.setReg(this.regParam(g, "REG", 127), this.regParam(g, "VAL", 255));
  }
}
