// One G-code command being executed: its name, original line, parameters and typed getters
// with Klipper's error wording ("Error on 'G1 X=a': unable to parse =a").
import { parsePyFloat, parsePyInt, pyFloat } from "../config/pyformat.ts";
import { GCodeError } from "./errors.ts";

export interface NumberBounds {
  minval?: number;
  maxval?: number;
  above?: number;
  below?: number;
}

export interface CommandOutput {
  respondInfo(msg: string, log?: boolean): void;
  respondRaw(msg: string): void;
}

export class GCodeCommand {
  constructor(
    private readonly output: CommandOutput,
    /** Upper-cased command name ("G1", "SET_PRESSURE_ADVANCE"). */
    public command: string,
    /** The line as received (trimmed; comments and checksum kept). */
    readonly commandline: string,
    /** Parameter name (upper-case) → value text. */
    readonly params: Record<string, string>,
    private needAck: boolean,
  ) {}

  getCommand(): string {
    return this.command;
  }
  getCommandline(): string {
    return this.commandline;
  }
  getCommandParameters(): Record<string, string> {
    return this.params;
  }

  /** Text after the command name, as typed (M117/M118/ECHO messages). A leading line number is
   * skipped and, in that case, a trailing "*checksum" is dropped. */
  getRawCommandParameters(): string {
    const cmd = this.command;
    const orig = this.commandline;
    let start = cmd.length;
    let end = orig.length;
    if (orig.slice(0, start).toUpperCase() !== cmd) {
      start += orig.toUpperCase().indexOf(cmd);
      const star = orig.lastIndexOf("*");
      if (star >= 0 && /^\d+$/.test(orig.slice(star + 1))) end = star;
    }
    if (/^\s$/.test(orig.slice(start, start + 1))) start++;
    return orig.slice(start, end);
  }

  respondInfo(msg: string, log = true): void {
    this.output.respondInfo(msg, log);
  }
  respondRaw(msg: string): void {
    this.output.respondRaw(msg);
  }

  /** Send "ok" (with text) if the sender waits for one; true if it was sent. */
  ack(msg?: string): boolean {
    if (!this.needAck) return false;
    this.output.respondRaw(msg ? `ok ${msg}` : "ok");
    this.needAck = false;
    return true;
  }

  error(msg: string): GCodeError {
    return new GCodeError(msg);
  }

  /** Raw parameter text; without a default the parameter is required. */
  get(name: string, def?: string): string;
  get(name: string, def?: string | null): string | null;
  get(name: string, def?: string | null): string | null {
    const value = this.params[name];
    if (value === undefined) {
      if (def === undefined) throw this.missing(name);
      return def;
    }
    return value;
  }

  getInt(name: string, def?: number, bounds?: NumberBounds): number;
  getInt(name: string, def?: number | null, bounds?: NumberBounds): number | null;
  getInt(name: string, def?: number | null, bounds: NumberBounds = {}): number | null {
    return this.getNumber(name, def, parsePyInt, String, bounds);
  }

  getFloat(name: string, def?: number, bounds?: NumberBounds): number;
  getFloat(name: string, def?: number | null, bounds?: NumberBounds): number | null;
  getFloat(name: string, def?: number | null, bounds: NumberBounds = {}): number | null {
    return this.getNumber(name, def, parsePyFloat, pyFloat, bounds);
  }

  private missing(name: string): GCodeError {
    return new GCodeError(`Error on '${this.commandline}': missing ${name}`);
  }

  private getNumber(name: string, def: number | null | undefined, parse: (s: string) => number | null, fmt: (n: number) => string, b: NumberBounds): number | null {
    const raw = this.params[name];
    if (raw === undefined) {
      if (def === undefined) throw this.missing(name);
      return def;
    }
    const v = parse(raw);
    const where = `Error on '${this.commandline}'`;
    if (v === null) throw new GCodeError(`${where}: unable to parse ${raw}`);
    if (b.minval !== undefined && v < b.minval) throw new GCodeError(`${where}: ${name} must have minimum of ${fmt(b.minval)}`);
    if (b.maxval !== undefined && v > b.maxval) throw new GCodeError(`${where}: ${name} must have maximum of ${fmt(b.maxval)}`);
    if (b.above !== undefined && v <= b.above) throw new GCodeError(`${where}: ${name} must be above ${fmt(b.above)}`);
    if (b.below !== undefined && v >= b.below) throw new GCodeError(`${where}: ${name} must be below ${fmt(b.below)}`);
    return v;
  }
}
