// Command-line parsing shared by the subcommands: `--opt value`, `--opt=value`, `-o value`, `-ovalue`,
// switches, repeated options and positional arguments. A leaf module (no imports), so a small
// command such as `vmcu` does not pull in the printer stack to read its options.

export interface OptionSpec {
  /** Spellings, e.g. ["--config", "-c"]. */
  names: readonly string[];
  /** A switch: takes no value. */
  flag?: boolean;
}

export type OptionSpecs = Record<string, OptionSpec>;

/** Bad usage; its message is meant for the user ("unknown option '--x'"). */
export class UsageError extends Error {}

export class ParsedArgs<S extends OptionSpecs> {
  constructor(private readonly values: Map<keyof S, string[]>, readonly positional: string[]) {}

  /** Every value given for the option, in order (a switch: one "" per use). */
  all(key: keyof S): string[] {
    return this.values.get(key) ?? [];
  }

  /** The option's last value (a repeated single-valued option: the last one wins). */
  get(key: keyof S): string | undefined {
    return this.all(key).at(-1);
  }

  has(key: keyof S): boolean {
    return this.all(key).length > 0;
  }
}

/**
 * The command's arguments as `read` makes them, or null after printing the UsageError it threw
 * (`stepline COMMAND: message` and the usage text) — the caller then exits with status 2.
 */
export function argsOrUsageError<T>(command: string, usage: string, read: () => T): T | null {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`stepline ${command}: ${e.message}\n${usage}`);
    return null;
  }
}

/** `-h` or `--help` anywhere on the line. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes("--help") || argv.includes("-h");
}

/**
 * Parse `argv` against `specs`; throws UsageError for unknown options, missing values and more
 * than `maxPositional` positional arguments.
 */
export function parseArgs<S extends OptionSpecs>(argv: readonly string[], specs: S, maxPositional = 0): ParsedArgs<S> {
  const byName = new Map<string, [keyof S, OptionSpec]>();
  for (const [key, spec] of Object.entries(specs)) for (const name of spec.names) byName.set(name, [key, spec]);
  const values = new Map<keyof S, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("-") || arg === "-") {
      if (positional.length === maxPositional) throw new UsageError(`unexpected argument '${arg}'`);
      positional.push(arg);
      continue;
    }
    const [name, inline] = splitInline(arg, byName);
    const found = byName.get(name);
    if (!found) throw new UsageError(`unknown option '${arg}'`);
    const [key, spec] = found;
    let value = "";
    if (spec.flag) {
      if (inline !== undefined) throw new UsageError(`option ${name} takes no value`);
    } else if (inline !== undefined) {
      value = inline;
    } else {
      const next = argv[i + 1];
      // The next word is an option, not this one's value: the value was forgotten
      if (next === undefined || next.startsWith("--")) throw new UsageError(`option ${name} needs a value`);
      value = next;
      i++;
    }
    if (!spec.flag && value === "") throw new UsageError(`option ${name} needs a value`);
    values.set(key, [...(values.get(key) ?? []), value]);
  }
  return new ParsedArgs(values, positional);
}

/** `--name=value` → ["--name", "value"]; `-dVALUE` (a known short option) → ["-d", "VALUE"]. */
function splitInline(arg: string, known: Map<string, unknown>): [string, string | undefined] {
  if (arg.startsWith("--")) {
    const eq = arg.indexOf("=");
    return eq < 0 ? [arg, undefined] : [arg.slice(0, eq), arg.slice(eq + 1)];
  }
  if (arg.length > 2 && known.has(arg.slice(0, 2))) return [arg.slice(0, 2), arg.slice(2)];
  return [arg, undefined];
}

/** `-d DICT` / `-d NAME=DICT` values (klippy's batch syntax) → dictionary path per MCU name. */
export function dictionaryOptions(values: readonly string[]): Record<string, string> {
  const dicts: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf("=");
    if (eq > 0) dicts[v.slice(0, eq)] = v.slice(eq + 1);
    else dicts.mcu = v;
  }
  return dicts;
}
