// `stepline check-config printer.cfg [--strict] [-d DICT | -d NAME=DICT]... [--json]`:
// load a config like the host would (includes, SAVE_CONFIG block), build every section that
// has a Stepline module, and report errors in Klipper's wording plus the sections Stepline
// does not support yet. Exit 0 when the config is usable, 1 on errors, 2 on bad usage.
import { readFileSync } from "node:fs";
import { VirtualMcu } from "../../firmware-bridge/index.ts";
import { BatchMcu, buildBatchMcu } from "../batch/mcu.ts";
import { BatchReactor } from "../batch/reactor.ts";
import { type ConfigSection, ConfigError, PrinterConfig } from "../core/config/index.ts";
import "../extras/modules.ts";
import type { PinEnumeration } from "../core/pins.ts";
import { type ModuleRegistry, moduleRegistry, Printer } from "../core/printer.ts";
import { DataDictionary } from "../protocol/index.ts";
import { argsOrUsageError, dictionaryOptions, type OptionSpecs, parseArgs, wantsHelp } from "./args.ts";

export interface CheckOptions {
  /** Unsupported sections count as errors (Klipper's behaviour). */
  strict?: boolean;
  /** MCU name ("mcu", "z", ...) → data dictionary path, to check pin names. */
  dicts?: Record<string, string>;
  /** Modules to build sections with (default: every module listed in src/extras/modules.ts). */
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

interface Closable {
  close?(): Promise<void>;
}

let generic: DataDictionary | undefined;
/** A dictionary with every command Stepline sends and no pin list, for MCUs checked without theirs. */
function genericDictionary(): DataDictionary {
  if (generic) return generic;
  const json = JSON.parse(new VirtualMcu().dictionaryText) as { enumerations: Record<string, unknown> };
  delete json.enumerations.pin;
  generic = DataDictionary.fromJson(JSON.stringify(json));
  return generic;
}

/**
 * The registry for a check: every registered module, except that [mcu] sections are built here
 * without any connection — a real batch-mode MCU writing to /dev/null, with its dictionary when it
 * was given with -d, otherwise with the virtual MCU's (pin names are then not checked).
 */
function checkRegistry(base: ModuleRegistry, dictPaths: Record<string, string>, warnings: string[]): ModuleRegistry {
  const registry = base.copy();
  const build = (config: ConfigSection, printer: Printer): unknown => {
    const section = config.getName();
    const name = section === "mcu" ? "mcu" : section.slice(4).trim();
    if (dictPaths[name] !== undefined) return buildBatchMcu(config, printer, { output: "/dev/null", dicts: dictPaths }, { info: () => {}, warn: () => {} });
    warnings.push(`No data dictionary for mcu '${name}' (-d ${name === "mcu" ? "" : `${name}=`}DICT): its pin names are not checked`);
    for (const option of config.getPrefixOptions("")) config.get(option);
    // A complete MCU object (the virtual MCU's dictionary) so every module can be built and checked
    const mcu = new BatchMcu(name, { batch: { dict: genericDictionary(), outputPath: "/dev/null" }, log: { info: () => {}, warn: () => {} } });
    printer.pins.registerChip(name, mcu);
    return mcu;
  };
  registry.unregister("mcu");
  registry.unregister("mcu ");
  registry.register("mcu", build, { stage: "mcu" });
  registry.register("mcu ", build, { stage: "mcu" });
  return registry;
}

/** Prefix a module's error with its section unless the message already names it. */
function withSection(section: string, err: Error): string {
  const msg = err instanceof ConfigError ? err.message : `Internal error: ${err.message}`;
  return msg.includes(`'${section}'`) ? msg : `Section '${section}': ${msg}`;
}

async function loadDicts(paths: Record<string, string>): Promise<Map<string, PinEnumeration>> {
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
  const registry = checkRegistry(opts.registry ?? moduleRegistry, result.errors.length ? {} : (opts.dicts ?? {}), result.warnings);
  const printer = new Printer({ config, strict: opts.strict, registry, startArgs: { checkConfig: true } });
  // Modules that schedule work need an event loop object; in a check nothing is ever run on it.
  printer.reactor = new BatchReactor();
  try {
    printer.instantiateModules({ keepGoing: true });
  } finally {
    for (const [, mcu] of printer.lookupObjects<Closable>("mcu")) await mcu.close?.();
  }
  for (const f of printer.loadFailures) result.errors.push(withSection(f.section, f.error));
  const problems = printer.configProblems();
  for (const o of problems.invalidOptions) result.errors.push(`Option '${o.option}' is not valid in section '${o.section}'`);
  for (const s of problems.unknownSections) result.errors.push(`Section '${s.toLowerCase()}' is not a valid config section`);
  result.unsupportedSections = problems.unsupportedSections;
  if (opts.strict) for (const s of problems.unsupportedSections) result.errors.push(`Section '${s.toLowerCase()}' is not a valid config section`);
  for (const e of printer.pins.validatePins(dicts)) result.errors.push(e.message);
  const unsupported = new Set([...problems.unsupportedSections, ...problems.unknownSections]);
  result.supportedSections = config.sectionNames().filter((s) => !unsupported.has(s));
  result.ok = result.errors.length === 0;
  return result;
}

function usage(): string {
  return "usage: stepline check-config printer.cfg [--strict] [--json] [-d DICT | -d MCUNAME=DICT]...";
}

const OPTIONS = {
  strict: { names: ["--strict"], flag: true },
  json: { names: ["--json"], flag: true },
  dictionary: { names: ["-d", "--dictionary"] },
} satisfies OptionSpecs;

export async function run(args: string[]): Promise<number> {
  if (wantsHelp(args)) {
    console.log(usage());
    return 0;
  }
  const parsed = argsOrUsageError("check-config", usage(), () => parseArgs(args, OPTIONS, 1));
  if (parsed === null) return 2;
  const file = parsed.positional[0];
  const json = parsed.has("json");
  const opts: CheckOptions = { strict: parsed.has("strict"), dicts: dictionaryOptions(parsed.all("dictionary")) };
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
