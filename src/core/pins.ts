// Pin descriptions ("^!PA1", "z:PB2", "~EXP1_3"), per-chip pin resolution (board aliases and
// reserved pins) and the rule that a physical pin is used once unless sharing is allowed.
// Facts follow Klipper's pins.py; wording of errors matches it.
import { ConfigError } from "./config/errors.ts";
import { registerModule } from "./config/module-registry.ts";
import type { ConfigSection } from "./config/section.ts";
import type { Printer } from "./printer.ts";

export class PinError extends ConfigError {
  override name = "PinError";
}

export type PinType = "endstop" | "digital_out" | "pwm" | "adc" | (string & {});

/** Something that owns pins: an MCU (or an expander chip). */
export interface PinChip {
  setupPin(pinType: PinType, params: PinParams): unknown;
  /** The chip's data dictionary, when known; used to check pin names against its 'pin' enumeration. */
  readonly dict?: PinEnumeration | null;
  /** A chip that sends config commands (an MCU) gets them rewritten through its pin resolver
   * (board_pins aliases → chip pin names, reserved pins refused), as Klipper does before the CRC. */
  setConfigLineRewriter?(rewrite: (line: string) => string): void;
}

/** The part of DataDictionary (src/protocol) used for pin validation. */
export interface PinEnumeration {
  enumValue(enumName: string, symbol: string): number;
  /** The parsed dictionary; pins are only checked when it has a 'pin' enumeration. */
  readonly json?: unknown;
}

function hasPinEnumeration(dict: PinEnumeration): boolean {
  const enums = (dict.json as { enumerations?: Record<string, unknown> } | undefined)?.enumerations;
  return enums === undefined ? dict.json === undefined : enums.pin !== undefined;
}

export interface PinParams {
  chip: PinChip;
  chipName: string;
  pin: string;
  invert: 0 | 1;
  pullup: -1 | 0 | 1;
  shareType?: string | null;
  /** Config section that first claimed the pin (for error messages), if the caller said. */
  owner?: string;
}

export interface LookupOptions {
  canInvert?: boolean;
  canPullup?: boolean;
  /** Pins looked up with the same shareType (and polarity) may be shared. */
  shareType?: string | null;
  owner?: string;
}

const hasModifier = (pin: string) => /[\^~!:]/.test(pin) || pin.split(/\s+/).join("") !== pin;

/** Maps board alias names to chip pin names and refuses reserved pins (one per chip). */
export class PinResolver {
  private readonly reserved = new Map<string, string>();
  private readonly aliases = new Map<string, string>();
  private readonly activePins = new Map<string, string>();

  constructor(private readonly validateAliases = true) {}

  reservePin(pin: string, reserveName: string): void {
    const prev = this.reserved.get(pin);
    if (prev !== undefined && prev !== reserveName) throw new PinError(`Pin ${pin} reserved for ${prev} - can't reserve for ${reserveName}`);
    this.reserved.set(pin, reserveName);
  }

  aliasPin(alias: string, pin: string): void {
    const prev = this.aliases.get(alias);
    if (prev !== undefined && prev !== pin) throw new PinError(`Alias ${alias} mapped to ${prev} - can't alias to ${pin}`);
    if (hasModifier(pin)) throw new PinError(`Invalid pin alias '${pin}'\n`);
    const target = this.aliases.get(pin) ?? pin;
    this.aliases.set(alias, target);
    for (const [existing, existingPin] of this.aliases) if (existingPin === alias) this.aliases.set(existing, target);
  }

  /** The chip pin name behind `name` (an alias or already a pin name). */
  resolve(name: string): string {
    return this.aliases.get(name) ?? name;
  }

  /** Translate every "pin=NAME" field of an MCU config command; refuses reserved pins and a
   * pin used under two different names. */
  updateCommand(cmd: string): string {
    return cmd.replace(/([ _]pin=)([^ ]*)/g, (_m, prefix: string, name: string) => {
      const pinId = this.resolve(name);
      const first = this.activePins.get(pinId) ?? name;
      this.activePins.set(pinId, first);
      if (first !== name && this.validateAliases) throw new PinError(`pin ${name} is an alias for ${first}`);
      const reservedFor = this.reserved.get(pinId);
      if (reservedFor !== undefined) throw new PinError(`pin ${name} is reserved for ${reservedFor}`);
      return prefix + pinId;
    });
  }
}

export class PrinterPins {
  private readonly chips = new Map<string, PinChip>();
  private readonly active = new Map<string, PinParams>();
  private readonly resolvers = new Map<string, PinResolver>();
  private readonly multiUse = new Set<string>();

  parsePin(pinDesc: string, canInvert = false, canPullup = false): PinParams {
    let desc = pinDesc.trim();
    let pullup: -1 | 0 | 1 = 0;
    let invert: 0 | 1 = 0;
    if (canPullup && (desc.startsWith("^") || desc.startsWith("~"))) {
      pullup = desc.startsWith("~") ? -1 : 1;
      desc = desc.slice(1).trim();
    }
    if (canInvert && desc.startsWith("!")) {
      invert = 1;
      desc = desc.slice(1).trim();
    }
    let chipName = "mcu";
    let pin = desc;
    const colon = desc.indexOf(":");
    if (colon >= 0) {
      chipName = desc.slice(0, colon).trim();
      pin = desc.slice(colon + 1).trim();
    }
    const chip = this.chips.get(chipName);
    if (!chip) throw new PinError(`Unknown pin chip name '${chipName}'`);
    if (hasModifier(pin)) {
      const format = (canPullup ? "[^~] " : "") + (canInvert ? "[!] " : "");
      throw new PinError(`Invalid pin description '${pinDesc}'\nFormat is: ${format}[chip_name:] pin_name`);
    }
    return { chip, chipName, pin, invert, pullup };
  }

  lookupPin(pinDesc: string, opts: LookupOptions = {}): PinParams {
    const params = this.parsePin(pinDesc, opts.canInvert ?? false, opts.canPullup ?? false);
    const shareName = `${params.chipName}:${params.pin}`;
    const shared = this.active.get(shareName);
    if (shared) {
      if (this.multiUse.has(shareName)) return shared;
      const shareType = opts.shareType ?? null;
      if (shareType === null || shareType !== shared.shareType) throw new PinError(`pin ${params.pin} used multiple times in config`);
      if (params.invert !== shared.invert || params.pullup !== shared.pullup) throw new PinError(`Shared pin ${params.pin} must have same polarity`);
      return shared;
    }
    params.shareType = opts.shareType ?? null;
    if (opts.owner !== undefined) params.owner = opts.owner;
    this.active.set(shareName, params);
    return params;
  }

  /** Look up a pin for a given use and let its chip build the pin object. */
  setupPin(pinType: PinType, pinDesc: string, owner?: string): unknown {
    const canInvert = pinType === "endstop" || pinType === "digital_out" || pinType === "pwm";
    const params = this.lookupPin(pinDesc, { canInvert, canPullup: pinType === "endstop", owner });
    return params.chip.setupPin(pinType, params);
  }

  resetPinSharing(params: PinParams): void {
    this.active.delete(`${params.chipName}:${params.pin}`);
  }

  getPinResolver(chipName: string): PinResolver {
    const r = this.resolvers.get(chipName);
    if (!r) throw new PinError(`Unknown chip name '${chipName}'`);
    return r;
  }

  registerChip(chipName: string, chip: PinChip): void {
    const name = chipName.trim();
    if (this.chips.has(name)) throw new PinError(`Duplicate chip name '${name}'`);
    this.chips.set(name, chip);
    const resolver = new PinResolver();
    this.resolvers.set(name, resolver);
    chip.setConfigLineRewriter?.((line) => resolver.updateCommand(line));
  }

  hasChip(chipName: string): boolean {
    return this.chips.has(chipName);
  }

  allowMultiUsePin(pinDesc: string): void {
    const params = this.parsePin(pinDesc);
    this.multiUse.add(`${params.chipName}:${params.pin}`);
  }

  /** Every pin claimed so far. */
  activePins(): PinParams[] {
    return [...this.active.values()];
  }

  /**
   * Check every claimed pin (after alias resolution) against its chip's 'pin' enumeration,
   * for chips whose dictionary is known (`dicts` overrides chip.dict by chip name).
   * Returns one error per unknown pin; never throws for a valid configuration.
   */
  validatePins(dicts: ReadonlyMap<string, PinEnumeration> = new Map()): PinError[] {
    const errors: PinError[] = [];
    for (const p of this.active.values()) {
      const dict = dicts.get(p.chipName) ?? p.chip.dict ?? null;
      if (!dict || !hasPinEnumeration(dict)) continue;
      const resolved = this.resolvers.get(p.chipName)?.resolve(p.pin) ?? p.pin;
      try {
        dict.enumValue("pin", resolved);
      } catch {
        const alias = resolved !== p.pin ? ` (alias for '${resolved}')` : "";
        const where = p.owner ? ` in section '${p.owner}'` : "";
        errors.push(new PinError(`Unknown pin '${p.pin}'${alias}${where}: not a pin of mcu '${p.chipName}'`));
      }
    }
    return errors;
  }
}

// [board_pins] / [board_pins NAME]: alias names (and <reserved> markers) for pins of listed MCUs.
function loadBoardPins(config: ConfigSection, printer: Printer): object {
  const resolvers = config.getList("mcu", ["mcu"]).map((n) => printer.pins.getPinResolver(n));
  for (const opt of ["aliases", ...config.getPrefixOptions("aliases_")]) {
    const pairs = config.getLists(opt, undefined, { seps: ["=", ","], count: 2 }) as [string, string][];
    for (const [name, value] of pairs) {
      const reserved = value.startsWith("<") && value.endsWith(">");
      for (const r of resolvers) reserved ? r.reservePin(name, value) : r.aliasPin(name, value);
    }
  }
  return {};
}
registerModule("board_pins", loadBoardPins);
registerModule("board_pins ", loadBoardPins);

// [duplicate_pin_override]: pins that may be used more than once without the sharing rules.
registerModule("duplicate_pin_override", (config, printer) => {
  for (const desc of config.getList("pins")) printer.pins.allowMultiUsePin(desc);
  return {};
});
