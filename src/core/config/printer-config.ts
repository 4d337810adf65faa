// The loaded main config (Klipper's PrinterConfig): regular file + includes + SAVE_CONFIG block,
// section access with tracking, the unused-option check and pending SAVE_CONFIG values.
import { ConfigAutosave, loadMainConfig } from "./autosave.ts";
import { ConfigError } from "./errors.ts";
import { parseWithIncludes } from "./reader.ts";
import { type AccessTracker, accessKey, ConfigSection } from "./section.ts";
import { ConfigStore } from "./store.ts";

export interface UnusedEntry {
  /** Lower-cased section name (as Klipper's messages show it). */
  section: string;
  /** The section name as written in the file. */
  sectionName: string;
  /** Absent when the whole section was never claimed. */
  option?: string;
}

export class PrinterConfig {
  readonly tracker: AccessTracker = new Map();
  private readonly autosaveKeys = new Set<string>();

  private constructor(
    readonly filename: string,
    readonly store: ConfigStore,
    readonly autosave: ConfigAutosave,
    /** Every file read (main first, then includes in read order). */
    readonly files: string[],
    /** Non-fatal problems found while loading (e.g. an unreadable SAVE_CONFIG block). */
    readonly warnings: string[],
  ) {
    for (const section of autosave.store.sections())
      for (const option of autosave.store.options(section)) this.autosaveKeys.add(accessKey(section, option));
  }

  /** Load a main config file (throws ConfigError with Klipper's wording). */
  static load(filename: string): PrinterConfig {
    const loaded = loadMainConfig(filename);
    return new PrinterConfig(filename, loaded.merged, new ConfigAutosave(filename, loaded.autosave), loaded.files, loaded.warnings);
  }

  /** Config from text (includes resolve relative to `filename`; no SAVE_CONFIG handling). */
  static fromText(text: string, filename = "printer.cfg"): PrinterConfig {
    const store = new ConfigStore();
    const { files } = parseWithIncludes(store, text.replace(/\r\n/g, "\n"), filename);
    return new PrinterConfig(filename, store, new ConfigAutosave(filename, new ConfigStore()), files, []);
  }

  getSection(name: string): ConfigSection {
    return new ConfigSection(this.store, this.tracker, name);
  }
  /** The root wrapper Klipper hands to printer-wide code (section 'printer'). */
  root(): ConfigSection {
    return this.getSection("printer");
  }
  hasSection(name: string): boolean {
    return this.store.hasSection(name);
  }
  sectionNames(): string[] {
    return this.store.sections();
  }
  getPrefixSections(prefix: string): ConfigSection[] {
    return this.root().getPrefixSections(prefix);
  }

  /** Sections not in `validSections` (and never read) and options never read, in file order.
   * Options set by the SAVE_CONFIG block are never reported. */
  findUnused(validSections: Iterable<string> = []): UnusedEntry[] {
    const valid = new Set<string>();
    for (const s of validSections) valid.add(s);
    for (const key of [...this.tracker.keys(), ...this.autosaveKeys]) valid.add(key.slice(0, key.indexOf("\u0000")));
    const out: UnusedEntry[] = [];
    for (const sectionName of this.store.sections()) {
      const section = sectionName.toLowerCase();
      if (!valid.has(section)) {
        out.push({ section, sectionName });
        continue;
      }
      for (const opt of this.store.options(sectionName)) {
        const key = accessKey(section, opt);
        if (!this.tracker.has(key) && !this.autosaveKeys.has(key)) out.push({ section, sectionName, option: opt.toLowerCase() });
      }
    }
    return out;
  }

  /** Klipper's check: throw for the first unknown section or option. */
  checkUnused(validSections: Iterable<string> = []): void {
    const first = this.findUnused(validSections)[0];
    if (first) throw unusedError(first);
  }

  /** Raw text of every option (Klipper's configfile status "config"). */
  rawConfig(): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    for (const s of this.store.sections()) {
      const opts: Record<string, string> = (out[s] = {});
      for (const o of this.store.options(s)) opts[o] = this.store.get(s, o);
    }
    return out;
  }

  /** Values as read by modules (Klipper's configfile status "settings"). */
  settings(): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const [key, value] of this.tracker) {
      const [section, option] = key.split("\u0000") as [string, string];
      (out[section] ??= {})[option] = value;
    }
    return out;
  }
}

export function unusedError(entry: Pick<UnusedEntry, "section" | "option">): ConfigError {
  return entry.option === undefined
    ? new ConfigError(`Section '${entry.section}' is not a valid config section`)
    : new ConfigError(`Option '${entry.option}' is not valid in section '${entry.section}'`);
}
