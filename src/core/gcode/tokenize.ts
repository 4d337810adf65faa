// Splitting one G-code line into a command name and parameters, exactly like Klipper:
// the line (minus a ';' comment) is upper-cased and cut at every run of letters/underscores
// and at every '*'; each run is a parameter name and the text after it its value. A leading
// "N<number>" line number is skipped for the command name. Checksums ("*45") are not checked:
// they just appear as parameter '*'.

/** `text.split(/([A-Z_]+|[A-Z*])/)` (Klipper's args regex) without the regex engine: every
 * line of a print goes through here. */
function splitArgs(text: string): string[] {
  const parts: string[] = [];
  const n = text.length;
  let textStart = 0, i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c === 95) { // A-Z, '_': a run is one parameter name
      let j = i + 1;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        if (!((d >= 65 && d <= 90) || d === 95)) break;
      }
      parts.push(text.slice(textStart, i), text.slice(i, j));
      textStart = i = j;
    } else if (c === 42) { // '*' alone
      parts.push(text.slice(textStart, i), "*");
      textStart = ++i;
    } else {
      i++;
    }
  }
  parts.push(text.slice(textStart));
  return parts;
}

export interface ParsedLine {
  /** Command name ("G1", "SET_VELOCITY_LIMIT", "M117 1.5" when the text defeats the split, "" for none). */
  command: string;
  /** The line as received, trimmed (comments and checksum included). */
  line: string;
  /** Upper-cased parameter name → trimmed value text (includes the command letter, "N", "*"). */
  params: Record<string, string>;
}

export function tokenizeLine(rawLine: string): ParsedLine {
  const line = rawLine.trim();
  const cpos = line.indexOf(";");
  const body = cpos >= 0 ? line.slice(0, cpos) : line;
  const parts = splitArgs(body.toUpperCase());
  const command = (parts[0] === "" && parts[1] === "N" ? (parts[3] ?? "") + (parts[4] ?? "") : parts.slice(0, 3).join("")).trim();
  const params: Record<string, string> = {};
  for (let i = 1; i < parts.length; i += 2) params[parts[i]!] = parts[i + 1]!.trim();
  return { command, line, params };
}

/** "Traditional" G-code: a letter followed by a number ("G1", "M117", "G28.1"). */
export function isTraditionalGCode(cmd: string): boolean {
  const word = cmd.toUpperCase().trim().split(/\s+/)[0] ?? "";
  const num = word.slice(1).trim();
  if (!/^[+-]?(\d+(_\d+)*(\.(\d+(_\d+)*)?)?|\.\d+(_\d+)*)([eE][+-]?\d+(_\d+)*)?$|^[+-]?(inf|infinity|nan)$/i.test(num)) return false;
  return /^\p{Lu}$/u.test(word[0] ?? "") && /^\d$/.test(word[1] ?? "");
}

/** Valid name for an extended command: upper-case letters, digits and '_', not starting with
 * a digit, second character not a digit (so it can't look like traditional G-code). */
export function isValidExtendedName(cmd: string): boolean {
  return cmd.toUpperCase() === cmd && /^[A-Z0-9_]+$/.test(cmd) && !/^\d/.test(cmd) && !/^.\d/.test(cmd);
}

const M112_RE = /^(?:[nN][0-9]+)?\s*[mM]112(?:\s|$)/;
/** True for an emergency stop line, which is acted on as soon as it is read. */
export function isEmergencyStop(line: string): boolean {
  return M112_RE.test(line);
}
