// Which code builds which config section (Klipper's klippy/extras lookup by section name).
// Each module file calls registerModule() at import time; src/core/modules.ts imports them all.
import type { Printer } from "../printer.ts";
import { ConfigError } from "./errors.ts";
import type { ConfigSection } from "./section.ts";

export type ModuleFactory = (config: ConfigSection, printer: Printer) => unknown;

/**
 * When a module is built while loading the config (Klipper's _read_config order):
 * "mcu" first (all [mcu] sections), then "extras" in config file order, then "toolhead"
 * (the [printer] section and what the toolhead pulls in), then `always` extras that had no section.
 */
export type ModuleStage = "mcu" | "extras" | "toolhead";

export interface ModuleOptions {
  stage?: ModuleStage;
  /** Build even when the config has no such section (Klipper's default modules: gcode_move, homing, ...). */
  always?: boolean;
}

export interface ModuleEntry {
  /** "fan" handles exactly [fan]; "heater_fan " (trailing space) handles [heater_fan NAME]. */
  key: string;
  factory: ModuleFactory;
  stage: ModuleStage;
  always: boolean;
}

export class ModuleRegistry {
  private readonly entries = new Map<string, ModuleEntry>();

  register(key: string, factory: ModuleFactory, opts: ModuleOptions = {}): void {
    if (!key.trim() || /\s/.test(key.trimEnd())) throw new ConfigError(`Invalid module key '${key}': use 'name' or 'name ' (prefix)`);
    if (this.entries.has(key)) throw new ConfigError(`Module for section '${key.trimEnd()}${key.endsWith(" ") ? " ..." : ""}' already registered`);
    if (opts.always && key.endsWith(" ")) throw new ConfigError(`Module '${key}' for named sections can't be 'always'`);
    this.entries.set(key, { key, factory, stage: opts.stage ?? "extras", always: opts.always ?? false });
  }

  /** The module that builds `section` ("fan" → key "fan", "heater_fan hotend" → key "heater_fan "). */
  find(section: string): ModuleEntry | undefined {
    const words = section.trim().split(/\s+/);
    return words.length > 1 ? this.entries.get(`${words[0]} `) : this.entries.get(section.trim());
  }

  all(): ModuleEntry[] {
    return [...this.entries.values()];
  }

  /** Remove a module (e.g. to build a section differently in one run mode); true if it existed. */
  unregister(key: string): boolean {
    return this.entries.delete(key);
  }

  /** An independent registry with the same modules. */
  copy(): ModuleRegistry {
    const r = new ModuleRegistry();
    for (const e of this.entries.values()) r.entries.set(e.key, { ...e });
    return r;
  }
}

/** The process-wide registry that module files register into. */
export const moduleRegistry = new ModuleRegistry();

export function registerModule(key: string, factory: ModuleFactory, opts?: ModuleOptions): void {
  moduleRegistry.register(key, factory, opts);
}
