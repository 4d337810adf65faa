// [save_variables]: SAVE_VARIABLE keeps values across restarts in a file written the way
// Klipper writes it (an INI "[Variables]" section of `name = python repr`, names sorted), and
// read back with Python-literal parsing.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { ConfigError } from "../../core/config/errors.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { LiteralError, parsePyLiteral, type PyLiteral, setOwn } from "../macros/python-literal.ts";
import { pyReprOf, toRuntime } from "../macros/python-values.ts";
import { type Printer, registerModule } from "../../core/printer.ts";

const SECTION = "Variables";

export const expandUser = (path: string): string => (path === "~" || path.startsWith("~/") ? homedir() + path.slice(1) : path);

/** The options of the [Variables] section of INI text (configparser rules: keys lower-cased,
 * `=` or `:` separators, indented lines continue a value, '#'/';' lines are comments). */
export function parseVariablesFile(text: string, path: string): Record<string, PyLiteral> {
  const raw = new Map<string, string>();
  let section: string | null = null;
  let last: string | null = null;
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim() || /^\s*[#;]/.test(line)) return;
    if (/^\s/.test(line) && last !== null) {
      if (section === SECTION) raw.set(last, `${raw.get(last)}\n${line.trim()}`);
      return;
    }
    const header = /^\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      section = header[1]!;
      last = null;
      return;
    }
    const m = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (!m || section === null) throw new Error(`${path} line ${i + 1}: not an option line: ${line}`);
    last = m[1]!.toLowerCase();
    if (section === SECTION) raw.set(last, m[2]!.trim());
  });
  const out: Record<string, PyLiteral> = {};
  for (const [name, value] of raw) {
    try {
      setOwn(out, name, parsePyLiteral(value));
    } catch (e) {
      if (e instanceof LiteralError) throw new Error(`${path}: variable '${name}': ${e.message}`);
      throw e;
    }
  }
  return out;
}

/** The file text Klipper writes for `vars`. */
export function formatVariablesFile(vars: Record<string, PyLiteral>): string {
  const names = Object.keys(vars).sort();
  return `[${SECTION}]\n${names.map((n) => `${n} = ${pyReprOf(toRuntime(vars[n]))}\n`).join("")}\n`;
}

export class SaveVariables {
  readonly filename: string;
  private variables: Record<string, PyLiteral> = {};

  constructor(config: ConfigSection, printer: Printer) {
    this.filename = expandUser(config.get("filename"));
    try {
      if (!existsSync(this.filename)) writeFileSync(this.filename, "");
      this.load();
    } catch (e) {
      throw new ConfigError(`Unable to parse existing variable file: ${(e as Error).message}`);
    }
    printer.gcode.register("SAVE_VARIABLE", (g) => this.cmdSaveVariable(g), { desc: "Save arbitrary variables to disk" });
  }

  private load(): void {
    this.variables = parseVariablesFile(readFileSync(this.filename, "utf8"), this.filename);
  }

  private cmdSaveVariable(gcmd: GCodeCommand): void {
    const name = gcmd.get("VARIABLE");
    if (name.toLowerCase() !== name) throw gcmd.error("VARIABLE must not contain upper case");
    const text = gcmd.get("VALUE");
    let value: PyLiteral;
    try {
      value = parsePyLiteral(text);
    } catch (e) {
      if (!(e instanceof LiteralError)) throw e;
      throw gcmd.error(`Unable to parse '${text}' as a literal`);
    }
    const next = { ...this.variables };
    setOwn(next, name, value);
    try {
      // Write a sibling file and rename it over, so a crash never leaves half a file
      const tmp = `${this.filename}.tmp`;
      writeFileSync(tmp, formatVariablesFile(next));
      renameSync(tmp, this.filename);
      this.load();
    } catch (e) {
      throw gcmd.error(`Unable to save variable: ${(e as Error).message}`);
    }
  }

  getStatus(): { variables: Record<string, PyLiteral> } {
    return { variables: this.variables };
  }
}

registerModule("save_variables", (config, printer) => new SaveVariables(config, printer));
