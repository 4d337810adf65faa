// Typed access to one config section (Klipper's ConfigWrapper). Every successful read is
// recorded in the shared access tracker so that unread options can be reported as invalid.
import { ConfigError } from "./errors.ts";
import { parsePyFloat, parsePyInt, pyFloat } from "./pyformat.ts";
import type { ConfigStore } from "./store.ts";

/** (section lower-case, option lower-case) → value that was read (or the default used). */
export type AccessTracker = Map<string, unknown>;
export const accessKey = (section: string, option: string) => `${section.toLowerCase()}\u0000${option.toLowerCase()}`;

export interface ReadOptions {
  /** Record the option as used (default true). */
  noteValid?: boolean;
}
export interface IntBounds extends ReadOptions {
  minval?: number;
  maxval?: number;
}
export interface FloatBounds extends IntBounds {
  above?: number;
  below?: number;
}
export interface ListOptions extends ReadOptions {
  sep?: string;
  count?: number;
}

/** Thrown by value parsers; becomes "Unable to parse option ..." */
class ParseFailure extends Error {}

export class ConfigSection {
  constructor(
    readonly store: ConfigStore,
    readonly tracker: AccessTracker,
    readonly name: string,
  ) {}

  /** Klipper's get_name(). */
  getName(): string {
    return this.name;
  }

  private read<T>(option: string, def: T | null | undefined, parse: (raw: string) => T, fmt: (n: number) => string, bounds: FloatBounds = {}): T | null {
    const noteValid = bounds.noteValid ?? true;
    if (!this.store.hasOption(this.name, option)) {
      if (def === undefined) throw new ConfigError(`Option '${option}' in section '${this.name}' must be specified`);
      if (noteValid && def !== null) this.tracker.set(accessKey(this.name, option), def);
      return def;
    }
    let v: T;
    try {
      v = parse(this.store.get(this.name, option));
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw new ConfigError(`Unable to parse option '${option}' in section '${this.name}'`);
    }
    if (noteValid) this.tracker.set(accessKey(this.name, option), v);
    if (typeof v === "number") {
      const where = `Option '${option}' in section '${this.name}' must`;
      const { minval, maxval, above, below } = bounds;
      if (minval !== undefined && v < minval) throw new ConfigError(`${where} have minimum of ${fmt(minval)}`);
      if (maxval !== undefined && v > maxval) throw new ConfigError(`${where} have maximum of ${fmt(maxval)}`);
      if (above !== undefined && v <= above) throw new ConfigError(`${where} be above ${fmt(above)}`);
      if (below !== undefined && v >= below) throw new ConfigError(`${where} be below ${fmt(below)}`);
    }
    return v;
  }

  hasOption(option: string): boolean {
    return this.store.hasOption(this.name, option);
  }

  get(option: string, def?: string, opts?: ReadOptions): string;
  get(option: string, def?: string | null, opts?: ReadOptions): string | null;
  get(option: string, def?: string | null, opts?: ReadOptions): string | null {
    return this.read(option, def, (raw) => raw, String, opts);
  }

  getInt(option: string, def?: number, bounds?: IntBounds): number;
  getInt(option: string, def?: number | null, bounds?: IntBounds): number | null;
  getInt(option: string, def?: number | null, bounds?: IntBounds): number | null {
    return this.read(option, def, parseIntStrict, String, bounds);
  }

  getFloat(option: string, def?: number, bounds?: FloatBounds): number;
  getFloat(option: string, def?: number | null, bounds?: FloatBounds): number | null;
  getFloat(option: string, def?: number | null, bounds?: FloatBounds): number | null {
    return this.read(option, def, parseFloatStrict, pyFloat, bounds);
  }

  getBoolean(option: string, def?: boolean, opts?: ReadOptions): boolean;
  getBoolean(option: string, def?: boolean | null, opts?: ReadOptions): boolean | null;
  getBoolean(option: string, def?: boolean | null, opts?: ReadOptions): boolean | null {
    return this.read(option, def, parseBoolean, String, opts);
  }

  /** One of `choices`: a list of allowed strings (or integers), or a map from text to result. */
  /** A default of null means "optional": null is returned when the option is absent. */
  getChoice<T>(option: string, choices: Record<string, T>, def?: string, opts?: ReadOptions): T;
  getChoice<T>(option: string, choices: Record<string, T>, def: null, opts?: ReadOptions): T | null;
  getChoice<C extends string | number>(option: string, choices: readonly C[], def?: C, opts?: ReadOptions): C;
  getChoice<C extends string | number>(option: string, choices: readonly C[], def: null, opts?: ReadOptions): C | null;
  getChoice(option: string, choices: Record<string, unknown> | readonly (string | number | null)[], def?: string | number | null, opts?: ReadOptions): unknown {
    let value: string | number | null;
    if (Array.isArray(choices)) {
      const numeric = choices.some((c) => typeof c === "number");
      value = numeric ? this.getInt(option, def as number | null | undefined, opts) : this.get(option, def as string | null | undefined, opts);
      if (value === null) return null;
      if (!choices.includes(value)) throw this.badChoice(value, option);
      return value;
    }
    const map = choices as Record<string, unknown>;
    value = this.get(option, def as string | null | undefined, opts);
    if (value === null) return null;
    if (!Object.hasOwn(map, value)) throw this.badChoice(value, option);
    return map[value];
  }

  private badChoice(value: string | number, option: string): ConfigError {
    return new ConfigError(`Choice '${value}' for option '${option}' in section '${this.name}' is not a valid choice`);
  }

  /**
   * Nested lists: `seps[seps.length-1]` splits the outer level, `seps[0]` the innermost.
   * Empty outer items are dropped; `count` applies to each innermost list.
   */
  getLists<T = string>(option: string, def?: unknown[] | null, opts: ReadOptions & { seps?: readonly string[]; count?: number; parser?: (s: string) => T } = {}): unknown[] | null {
    const seps = opts.seps ?? [","];
    const parser = opts.parser ?? ((s: string) => s as unknown as T);
    const parseLevel = (value: string, pos: number): unknown[] => {
      const parts = value.trim().length === 0 ? [] : value.split(seps[pos]!).map((p) => p.trim());
      if (pos > 0) return parts.filter((p) => p).map((p) => parseLevel(p, pos - 1));
      const res = parts.map(parser);
      if (opts.count !== undefined && res.length !== opts.count)
        throw new ConfigError(`Option '${option}' in section '${this.name}' must have ${opts.count} elements`);
      return res;
    };
    return this.read(option, def, (raw) => parseLevel(raw, seps.length - 1), String, opts);
  }

  getList(option: string, def?: readonly string[], opts?: ListOptions): string[];
  getList(option: string, def?: readonly string[] | null, opts?: ListOptions): string[] | null;
  getList(option: string, def?: readonly string[] | null, opts: ListOptions = {}): string[] | null {
    return this.getLists(option, def as unknown[] | null | undefined, { ...opts, seps: [opts.sep ?? ","] }) as string[] | null;
  }

  getIntList(option: string, def?: readonly number[], opts?: ListOptions): number[];
  getIntList(option: string, def?: readonly number[] | null, opts?: ListOptions): number[] | null;
  getIntList(option: string, def?: readonly number[] | null, opts: ListOptions = {}): number[] | null {
    return this.getLists(option, def as unknown[] | null | undefined, { ...opts, seps: [opts.sep ?? ","], parser: parseIntStrict }) as number[] | null;
  }

  getFloatList(option: string, def?: readonly number[], opts?: ListOptions): number[];
  getFloatList(option: string, def?: readonly number[] | null, opts?: ListOptions): number[] | null;
  getFloatList(option: string, def?: readonly number[] | null, opts: ListOptions = {}): number[] | null {
    return this.getLists(option, def as unknown[] | null | undefined, { ...opts, seps: [opts.sep ?? ","], parser: parseFloatStrict }) as number[] | null;
  }

  getSection(name: string): ConfigSection {
    return new ConfigSection(this.store, this.tracker, name);
  }
  hasSection(name: string): boolean {
    return this.store.hasSection(name);
  }
  getPrefixSections(prefix: string): ConfigSection[] {
    return this.store
      .sections()
      .filter((s) => s.startsWith(prefix))
      .map((s) => this.getSection(s));
  }
  getPrefixOptions(prefix: string): string[] {
    if (!this.store.hasSection(this.name)) return [];
    return this.store.options(this.name).filter((o) => o.startsWith(prefix));
  }
}

function parseIntStrict(raw: string): number {
  const v = parsePyInt(raw);
  if (v === null) throw new ParseFailure(raw);
  return v;
}
function parseFloatStrict(raw: string): number {
  const v = parsePyFloat(raw);
  if (v === null) throw new ParseFailure(raw);
  return v;
}
const BOOLEAN_STATES: Record<string, boolean> = { "1": true, yes: true, true: true, on: true, "0": false, no: false, false: false, off: false };
function parseBoolean(raw: string): boolean {
  const v = BOOLEAN_STATES[raw.toLowerCase()];
  if (v === undefined) throw new ParseFailure(raw);
  return v;
}
