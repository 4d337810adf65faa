// In-memory config data with the semantics of Python's RawConfigParser as Klipper sets it up
// (strict=False, inline comments ';'/'#', delimiters '='/':', empty lines allowed in values).
// Sections keep first-seen order; a repeated section merges into the first and a repeated
// option replaces the value in place. Option names are lower-cased; section names are not.
import { ConfigError } from "./errors.ts";
import { pyRepr } from "./pyformat.ts";

const DEFAULT_SECTION = "DEFAULT";
/** Section header: "[" anything "]" at the start of the line (greedy, like configparser). */
export const SECTION_HEADER_RE = /^\[(.+)\]/;
const OPTION_RE = /^(.*?)\s*([=:])\s*(.*)$/;
const INLINE_COMMENT_PREFIXES = [";", "#"];
const COMMENT_PREFIXES = ["#", ";"];

export class ConfigStore {
  private readonly data = new Map<string, Map<string, string>>();
  private readonly defaults = new Map<string, string>();

  sections(): string[] {
    return [...this.data.keys()];
  }
  hasSection(section: string): boolean {
    return this.data.has(section);
  }
  addSection(section: string): void {
    if (section === DEFAULT_SECTION) throw new ConfigError(`Invalid section name: ${pyRepr(section)}`);
    if (!this.data.has(section)) this.data.set(section, new Map());
  }
  removeSection(section: string): boolean {
    return this.data.delete(section);
  }
  /** Option names of a section (including [DEFAULT] ones), in file order. */
  options(section: string): string[] {
    const opts = this.data.get(section);
    if (!opts) throw new ConfigError(`No section: ${pyRepr(section)}`);
    return [...new Set([...opts.keys(), ...this.defaults.keys()])];
  }
  hasOption(section: string, option: string): boolean {
    const key = option.toLowerCase();
    if (section === "" || section === DEFAULT_SECTION) return this.defaults.has(key);
    const opts = this.data.get(section);
    return opts !== undefined && (opts.has(key) || this.defaults.has(key));
  }
  get(section: string, option: string): string {
    const opts = this.data.get(section);
    if (!opts) throw new ConfigError(`No section: ${pyRepr(section)}`);
    const key = option.toLowerCase();
    const value = opts.get(key) ?? this.defaults.get(key);
    if (value === undefined) throw new ConfigError(`No option ${pyRepr(key)} in section: ${pyRepr(section)}`);
    return value;
  }
  set(section: string, option: string, value: string): void {
    const opts = this.data.get(section);
    if (!opts) throw new ConfigError(`No section: ${pyRepr(section)}`);
    opts.set(option.toLowerCase(), value);
  }

  /** Text in configparser's write() layout ("[s]\nkey = value\n\n"; continuation lines tab-indented). */
  toText(): string {
    const out: string[] = [];
    const writeSection = (name: string, opts: Map<string, string>) => {
      out.push(`[${name}]\n`);
      for (const [k, v] of opts) out.push(`${k} = ${v.replace(/\n/g, "\n\t")}\n`);
      out.push("\n");
    };
    if (this.defaults.size) writeSection(DEFAULT_SECTION, this.defaults);
    for (const [name, opts] of this.data) writeSection(name, opts);
    return out.join("");
  }

  /**
   * Parse one chunk of ini text into this store, the way one configparser read_file() call does:
   * the chunk starts outside any section, so options before the first header are an error.
   * `firstLine` is the 1-based line number of the chunk in its file (for error messages).
   */
  readChunk(text: string, filename: string, firstLine = 1): void {
    const lines = text.split("\n");
    let cursect: Map<string, string> | null = null;
    let optname: string | null = null;
    let optLines: string[] | null = null;
    let indentLevel = 0;
    const badLines: string[] = [];
    const finishOption = () => {
      if (cursect && optname !== null && optLines) cursect.set(optname, optLines.join("\n").trimEnd());
      optLines = null;
    };
    for (let i = 0; i < lines.length; i++) {
      const rawLine = lines[i]!;
      const lineno = firstLine + i;
      let commentStart = findInlineComment(rawLine);
      const stripped = rawLine.trim();
      if (COMMENT_PREFIXES.some((p) => stripped.startsWith(p))) commentStart = 0;
      const value = (commentStart === null ? rawLine : rawLine.slice(0, commentStart)).trim();
      if (!value) {
        // An empty line inside a multi-line value is kept, unless the line held a comment.
        if (commentStart === null && cursect && optname !== null && optLines) optLines.push("");
        continue;
      }
      const curIndent = rawLine.search(/\S/);
      if (cursect && optname !== null && optLines && curIndent > indentLevel) {
        optLines.push(value);
        continue;
      }
      indentLevel = curIndent;
      const header = SECTION_HEADER_RE.exec(value);
      if (header) {
        finishOption();
        const sectname = header[1]!;
        if (sectname === DEFAULT_SECTION) cursect = this.defaults;
        else {
          cursect = this.data.get(sectname) ?? new Map();
          this.data.set(sectname, cursect);
        }
        optname = null;
        continue;
      }
      if (!cursect) {
        const lineText = i < lines.length - 1 ? `${rawLine}\n` : rawLine;
        throw new ConfigError(`File contains no section headers.\nfile: ${pyRepr(filename)}, line: ${lineno}\n${pyRepr(lineText)}`);
      }
      const opt = OPTION_RE.exec(value);
      if (!opt || !opt[1]!.trimEnd()) {
        finishOption();
        optname = null;
        badLines.push(`\n\t[line ${String(lineno).padStart(2)}]: ${pyRepr(i < lines.length - 1 ? `${rawLine}\n` : rawLine)}`);
        continue;
      }
      finishOption();
      optname = opt[1]!.trimEnd().toLowerCase();
      optLines = [opt[3]!.trim()];
    }
    finishOption();
    if (badLines.length) throw new ConfigError(`Source contains parsing errors: ${pyRepr(filename)}${badLines.join("")}`);
  }
}

/** Position of an inline comment (';' or '#' at line start or after whitespace), or null. */
function findInlineComment(line: string): number | null {
  let best: number | null = null;
  for (const prefix of INLINE_COMMENT_PREFIXES) {
    let idx = line.indexOf(prefix);
    while (idx >= 0) {
      if (idx === 0 || /\s/.test(line[idx - 1]!)) {
        if (best === null || idx < best) best = idx;
        break;
      }
      idx = line.indexOf(prefix, idx + 1);
    }
  }
  return best;
}
