// Register fields of a TMC stepper driver: which register holds a field, where its bits are, the
// shadow copy of every register value the host has set (in first-set order, which is the order
// registers are written at init), and the "driver_XXX" config options that set fields.
// Values are handled with arithmetic instead of JS bit operators so that bit 31 stays unsigned.
import type { ConfigSection } from "../../core/config/section.ts";

export interface FieldSpec {
  low: number;
  width: number;
}
/** Register name → field name → bit position. */
export type RegisterFields = Record<string, Record<string, FieldSpec>>;

/**
 * Parse a compact field table: for each register a list of "name@low" (one bit) or
 * "name@low:width" entries.
 */
export function fieldTable(src: Record<string, string>): RegisterFields {
  const out: RegisterFields = {};
  for (const [reg, spec] of Object.entries(src)) {
    const fields: Record<string, FieldSpec> = {};
    for (const item of spec.trim().split(/\s+/)) {
      const m = /^([a-z0-9_@]+)@(\d+)(?::(\d+))?$/.exec(item);
      if (!m) throw new Error(`bad TMC field spec '${item}' in ${reg}`);
      fields[m[1]!] = { low: Number(m[2]), width: m[3] === undefined ? 1 : Number(m[3]) };
    }
    out[reg] = fields;
  }
  return out;
}

export type FieldFormatter = (value: number) => string;

const hex8 = (v: number) => v.toString(16).padStart(8, "0");

export class TmcFields {
  /** Shadow register values in first-set order. */
  readonly registers = new Map<string, number>();
  private readonly fieldToRegister = new Map<string, string>();

  constructor(
    readonly allFields: RegisterFields,
    private readonly signedFields: ReadonlySet<string> = new Set(),
    private readonly formatters: Record<string, FieldFormatter> = {},
  ) {
    for (const [reg, fields] of Object.entries(allFields))
      for (const f of Object.keys(fields)) this.fieldToRegister.set(f, reg); // a later register wins
  }

  lookupRegister(field: string): string | null {
    return this.fieldToRegister.get(field) ?? null;
  }

  private spec(field: string, reg: string): FieldSpec {
    const s = this.allFields[reg]?.[field];
    if (!s) throw new Error(`TMC field '${field}' is not in register ${reg}`);
    return s;
  }

  private registerOf(field: string): string {
    const reg = this.fieldToRegister.get(field);
    if (reg === undefined) throw new Error(`Unknown TMC field '${field}'`);
    return reg;
  }

  /** A field's value from `regValue` (default: the shadow value of its register). */
  getField(field: string, regValue?: number, regName?: string): number {
    const reg = regName ?? this.registerOf(field);
    const value = regValue ?? this.registers.get(reg) ?? 0;
    const { low, width } = this.spec(field, reg);
    const v = Math.floor(value / 2 ** low) % 2 ** width;
    if (this.signedFields.has(field) && v >= 2 ** (width - 1)) return v - 2 ** width;
    return v;
  }

  /** Store a field into the shadow register (values wrap to the field width); returns the new register value. */
  setField(field: string, value: number | boolean, regValue?: number, regName?: string): number {
    const reg = regName ?? this.registerOf(field);
    const old = regValue ?? this.registers.get(reg) ?? 0;
    const { low, width } = this.spec(field, reg);
    const size = 2 ** width;
    const bits = ((Math.trunc(Number(value)) % size) + size) % size;
    const cur = Math.floor(old / 2 ** low) % size;
    const next = old + (bits - cur) * 2 ** low;
    this.registers.set(reg, next);
    return next;
  }

  /** Set a field from its "driver_<FIELD>" option (booleans for one-bit fields, bounded ints otherwise). */
  setConfigField(config: ConfigSection, field: string, def: number | boolean): number {
    const option = `driver_${field.toUpperCase()}`;
    const reg = this.registerOf(field);
    const { width } = this.spec(field, reg);
    const maxval = 2 ** width - 1;
    let value: number | boolean;
    if (maxval === 1) value = config.getBoolean(option, Boolean(def));
    else if (this.signedFields.has(field)) value = config.getInt(option, Number(def), { minval: -(Math.floor(maxval / 2) + 1), maxval: Math.floor(maxval / 2) });
    else value = config.getInt(option, Number(def), { minval: 0, maxval });
    return this.setField(field, value);
  }

  /** "REGNAME:    0000abcd field=value ..." listing the non-zero fields, as DUMP_TMC prints them. */
  prettyFormat(regName: string, regValue: number): string {
    const mask = (f: FieldSpec) => 2 ** f.low * (2 ** f.width - 1);
    const fields = Object.entries(this.allFields[regName] ?? {}).sort((a, b) => mask(a[1]) - mask(b[1]));
    let text = "";
    for (const [name] of fields) {
      const v = this.getField(name, regValue, regName);
      const s = (this.formatters[name] ?? String)(v);
      if (s && s !== "0") text += ` ${name}=${s}`;
    }
    return `${`${regName}:`.padEnd(11)} ${hex8(regValue)}${text}`;
  }

  /** Every field of a register value. */
  getRegFields(regName: string, regValue: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of Object.keys(this.allFields[regName] ?? {})) out[name] = this.getField(name, regValue, regName);
    return out;
  }
}
