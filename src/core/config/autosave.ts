// The SAVE_CONFIG block at the end of the main config file ("#*# " prefixed lines after a fixed
// header): splitting it off, loading it, tracking pending changes and writing it back.
// Klipper's rule on load: an autosave option that is also set in the regular config (or an
// include) is ignored — the regular value wins — and SAVE_CONFIG comments the regular copy out.
import { renameSync, writeFileSync } from "node:fs";
import { ConfigError } from "./errors.ts";
import { appendConfigText, parseWithIncludes, readConfigFile } from "./reader.ts";
import { ConfigStore } from "./store.ts";

export const AUTOSAVE_HEADER = [
  "",
  "#*# <---------------------- SAVE_CONFIG ---------------------->",
  "#*# DO NOT EDIT THIS BLOCK OR BELOW. The contents are auto-generated.",
  "#*#",
  "",
].join("\n");

export interface AutosaveSplit {
  regular: string;
  /** The block with "#*# " prefixes removed ("" when absent or unusable). */
  autosave: string;
  /** Why a present block was ignored, if it was. */
  warning?: string;
}

export function splitAutosave(data: string): AutosaveSplit {
  const pos = data.indexOf(AUTOSAVE_HEADER);
  let regular = data;
  let block = "";
  if (pos >= 0) {
    regular = data.slice(0, pos);
    block = data.slice(pos + AUTOSAVE_HEADER.length).trim();
  }
  if (regular.includes("\n#*# ") || block.includes(AUTOSAVE_HEADER))
    return { regular: data, autosave: "", warning: "Can't read autosave from config file - autosave state corrupted" };
  const out = [""];
  for (const line of block.split("\n")) {
    if (block && (!line.startsWith("#*#") || (line.length >= 4 && !line.startsWith("#*# "))))
      return { regular: data, autosave: "", warning: "Can't read autosave from config file - modifications after header" };
    out.push(line.slice(4));
  }
  out.push("");
  return { regular, autosave: out.join("\n") };
}

/** Comment out (prefix '#') every option line of `data` whose option is set in `store`. */
export function commentOutDuplicates(data: string, store: ConfigStore): string {
  const lines = data.split("\n");
  let section: string | null = null;
  let isDup = false;
  for (let i = 0; i < lines.length; i++) {
    const pruned = lines[i]!.replace(/[#;].*$/, "").trimEnd();
    if (!pruned) continue;
    if (/^\s/.test(pruned)) {
      if (isDup) lines[i] = `#${lines[i]}`;
      continue;
    }
    isDup = false;
    if (pruned[0] === "[") {
      section = pruned.slice(1, -1).trim();
      continue;
    }
    const field = pruned.replace(/[^A-Za-z0-9_].*$/, "");
    if (section !== null && store.hasOption(section, field)) {
      isDup = true;
      lines[i] = `#${lines[i]}`;
    }
  }
  return lines.join("\n");
}

export interface LoadedMainConfig {
  /** Regular config + includes + the (non-conflicting) autosave values. */
  merged: ConfigStore;
  /** Only the autosave values (what SAVE_CONFIG will write back). */
  autosave: ConfigStore;
  files: string[];
  warnings: string[];
}

export function loadMainConfig(filename: string): LoadedMainConfig {
  const split = splitAutosave(readConfigFile(filename));
  const merged = new ConfigStore();
  const { files } = parseWithIncludes(merged, split.regular, filename);
  const autosaveText = commentOutDuplicates(split.autosave, merged);
  const autosave = new ConfigStore();
  appendConfigText(autosave, autosaveText, filename);
  appendConfigText(merged, autosaveText, "*AUTOSAVE*");
  return { merged, autosave, files, warnings: split.warning ? [split.warning] : [] };
}

/** Pending SAVE_CONFIG state: values set by calibration commands, written back by save(). */
export class ConfigAutosave {
  /** section → option → value, or null for a removed section (Klipper's save_config_pending_items). */
  pendingItems: Record<string, Record<string, string> | null> = {};
  pending = false;

  constructor(
    readonly filename: string,
    readonly store: ConfigStore,
  ) {}

  set(section: string, option: string, value: string | number | boolean): void {
    if (!this.store.hasSection(section)) this.store.addSection(section);
    const text = String(value);
    this.store.set(section, option, text);
    const current = this.pendingItems[section];
    this.pendingItems = { ...this.pendingItems, [section]: { ...(current ?? {}), [option]: text } };
    this.pending = true;
  }

  removeSection(section: string): void {
    if (this.store.hasSection(section)) {
      this.store.removeSection(section);
      this.pendingItems = { ...this.pendingItems, [section]: null };
      this.pending = true;
    } else if (this.pendingItems[section]) {
      const { [section]: _dropped, ...rest } = this.pendingItems;
      this.pendingItems = rest;
      this.pending = true;
    }
  }

  /** The autosave block as it will be appended to the file. */
  renderBlock(): string {
    const lines = this.store.toText().trim().split("\n").map((l) => `#*# ${l}`.trim());
    return [`\n${AUTOSAVE_HEADER.trimEnd()}`, ...lines, ""].join("\n");
  }

  /** New full file text: the current file's regular part (with now-duplicated options commented
   * out) followed by the new block. Throws ConfigError like Klipper's SAVE_CONFIG checks. */
  renderFile(): string {
    const current = splitAutosave(readConfigFile(this.filename));
    const regular = commentOutDuplicates(current.regular, this.store);
    const data = regular.trimEnd() + this.renderBlock();
    const check = splitAutosave(data);
    if (!check.autosave) throw new ConfigError("Existing config autosave is corrupted. Can't complete SAVE_CONFIG");
    const regularStore = new ConfigStore();
    try {
      parseWithIncludes(regularStore, check.regular, this.filename);
    } catch (e) {
      throw new ConfigError(`Unable to parse existing config on SAVE_CONFIG: ${(e as Error).message}`);
    }
    for (const section of this.store.sections())
      for (const option of this.store.options(section))
        if (regularStore.hasOption(section, option))
          throw new ConfigError(`SAVE_CONFIG section '${section}' option '${option}' conflicts with included value`);
    return data;
  }

  /** Write the file (keeping a dated backup, like Klipper); returns the backup path.
   * Returns null when there is nothing to save. */
  save(now = new Date()): string | null {
    if (!this.store.sections().length) return null;
    const data = this.renderFile();
    const p2 = (n: number) => String(n).padStart(2, "0");
    const stamp = `-${now.getFullYear()}${p2(now.getMonth() + 1)}${p2(now.getDate())}_${p2(now.getHours())}${p2(now.getMinutes())}${p2(now.getSeconds())}`;
    const cfg = this.filename;
    const stem = cfg.endsWith(".cfg") ? cfg.slice(0, -4) : cfg;
    const ext = cfg.endsWith(".cfg") ? ".cfg" : "";
    const backup = `${stem}${stamp}${ext}`;
    const temp = `${stem}_autosave${ext}`;
    try {
      writeFileSync(temp, data);
      renameSync(cfg, backup);
      renameSync(temp, cfg);
    } catch (e) {
      throw new ConfigError(`Unable to write config file during SAVE_CONFIG: ${(e as Error).message}`);
    }
    this.pending = false;
    this.pendingItems = {};
    return backup;
  }
}
