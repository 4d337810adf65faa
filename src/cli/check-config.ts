// `stepline check-config printer.cfg [--strict] [-d DICT | -d NAME=DICT]... [--json]`:
// load a config like the host would (includes, SAVE_CONFIG block), build every section that
// has a Stepline module, and report errors in Klipper's wording plus the sections Stepline
// does not support yet. Exit 0 when the config is usable, 1 on errors, 2 on bad usage.
import { readFileSync } from "node:fs";
import { ConfigError, PrinterConfig } from "../core/config/index.ts";
import "../core/modules.ts";
import type { PinChip, PinEnumeration, PinParams } from "../core/pins.ts";
import { type ModuleRegistry, Printer } from "../core/printer.ts";

export interface CheckOptions {
  /** Unsupported sections count as errors (Klipper's behaviour). */
  strict?: boolean;
  /** MCU name ("mcu", "z", ...) → data dictionary path, to check pin names. */
  dicts?: Record<string, string>;
  /** Modules to build sections with (default: every module listed in src/core/modules.ts). */
  registry?: ModuleRegistry;
}

export interface CheckResult {
  ok: boolean;
  /** Files read (main config first, then includes). */
  files: string[];
  /** Sections built by a module or read by one. */
  supportedSections: string[];
  unsupportedSections: string[];
  errors: string[];
  warnings: string[];
}

/** Stands in for an MCU whose module is not available, so the pins of other sections can still
 * be checked (claimed, shared, validated against a -d dictionary). */
class UnconnectedChip implements PinChip {
  constructor(readonly dict: PinEnumeration | null) {}
  setupPin(pinType: string, params: PinParams): { pinType: string; params: PinParams } {
    return { pinType, params };
  }
}

/** Prefix a module's error with its section unless the message already names it. */
function withSection(section: string, err: Error): string {
  const msg = err instanceof ConfigError ? err.message : `Internal error: ${err.message}`;
  return msg.includes(`'${section}'`) ? msg : `Section '${section}': ${msg}`;
}

async function loadDicts(paths: Record<string, string>): Promise<Map<string, PinEnumeration>> {
  const { DataDictionary } = await import("../protocol/index.ts");
  const out = new Map<string, PinEnumeration>();
  for (const [name, path] of Object.entries(paths)) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      throw new ConfigError(`Unable to read data dictionary '${path}' for mcu '${name}'`);
    }
    try {
      out.set(name, DataDictionary.fromJson(text));
    } catch (e) {
      throw new ConfigError(`Invalid data dictionary '${path}' for mcu '${name}': ${(e as Error).message}`);
    }
  }
  return out;
}

export async function checkConfig(path: string, opts: CheckOptions = {}): Promise<CheckResult> {
  const result: CheckResult = { ok: false, files: [], supportedSections: [], unsupportedSections: [], errors: [], warnings: [] };
  let config: PrinterConfig;
  try {
    config = PrinterConfig.load(path);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    result.errors.push(e.message);
    return result;
  }
  result.files = config.files;
  result.warnings.push(...config.warnings);
  let dicts = new Map<string, PinEnumeration>();
  try {
    dicts = await loadDicts(opts.dicts ?? {});
  } catch (e) {
    result.errors.push((e as Error).message);
  }
  const printer = new Printer({ config, strict: opts.strict, registry: opts.registry, startArgs: { checkConfig: true } });
  for (const section of config.sectionNames()) {
    const chipName = section === "mcu" ? "mcu" : section.startsWith("mcu ") ? section.slice(4).trim() : null;
    if (chipName === null || printer.registry.find(section)) continue;
    printer.pins.registerChip(chipName, new UnconnectedChip(dicts.get(chipName) ?? null));
    result.warnings.push(`No module for [${section}]: its pins are checked without the MCU`);
  }
  printer.instantiateModules({ keepGoing: true });
  for (const f of printer.loadFailures) result.errors.push(withSection(f.section, f.error));
  const problems = printer.configProblems();
  for (const o of problems.invalidOptions) result.errors.push(`Option '${o.option}' is not valid in section '${o.section}'`);
  result.unsupportedSections = problems.unsupportedSections;
  if (opts.strict) for (const s of problems.unsupportedSections) result.errors.push(`Section '${s.toLowerCase()}' is not a valid config section`);
  for (const e of printer.pins.validatePins(dicts)) result.errors.push(e.message);
  const unsupported = new Set(problems.unsupportedSections);
  result.supportedSections = config.sectionNames().filter((s) => !unsupported.has(s));
  result.ok = result.errors.length === 0;
  return result;
}

function usage(): string {
  return "usage: stepline check-config printer.cfg [--strict] [--json] [-d DICT | -d MCUNAME=DICT]...";
}

export async function run(args: string[]): Promise<number> {
  let file: string | undefined;
  let json = false;
  const opts: CheckOptions = { dicts: {} };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--strict") opts.strict = true;
    else if (a === "--json") json = true;
    else if (a === "-d" || a === "--dictionary") {
      const v = args[++i];
      if (v === undefined) {
        console.error(`stepline check-config: ${a} needs a value\n${usage()}`);
        return 2;
      }
      const eq = v.indexOf("=");
      opts.dicts![eq >= 0 ? v.slice(0, eq) : "mcu"] = eq >= 0 ? v.slice(eq + 1) : v;
    } else if (a === "-h" || a === "--help") {
      console.log(usage());
      return 0;
    } else if (a.startsWith("-") || file !== undefined) {
      console.error(`stepline check-config: unexpected argument '${a}'\n${usage()}`);
      return 2;
    } else file = a;
  }
  if (file === undefined) {
    console.error(`stepline check-config: no config file given\n${usage()}`);
    return 2;
  }
  const r = await checkConfig(file, opts);
  if (json) console.log(JSON.stringify(r, null, 2));
  else {
    const out: string[] = [`Config: ${file}${r.files.length > 1 ? ` (+${r.files.length - 1} included file${r.files.length > 2 ? "s" : ""})` : ""}`];
    if (r.files.length) out.push(`Supported sections: ${r.supportedSections.length}, unsupported: ${r.unsupportedSections.length}`);
    for (const w of r.warnings) out.push(`warning: ${w}`);
    if (r.unsupportedSections.length) out.push("Sections not supported by Stepline (ignored):", ...r.unsupportedSections.map((s) => `  [${s}]`));
    for (const e of r.errors) out.push(`error: ${e.replace(/\n/g, "\n  ")}`);
    out.push(r.ok ? "Config OK" : `Config has ${r.errors.length} error${r.errors.length === 1 ? "" : "s"}`);
    (r.ok ? console.log : console.error)(out.join("\n"));
  }
  return r.ok ? 0 : 1;
}
