// Reads config files into a ConfigStore the way Klipper does: '#' ends every line (even inside
// values), CRLF becomes LF, and "[include spec]" lines splice in other files (globs relative to
// the including file, sorted, a missing non-glob file is an error, recursion is an error).
// Text between includes is parsed as its own chunk, so overrides apply in file order.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError } from "./errors.ts";
import { glob, hasMagic } from "./glob.ts";
import { ConfigStore, SECTION_HEADER_RE } from "./store.ts";

export function readConfigFile(filename: string): string {
  let data: string;
  try {
    data = readFileSync(filename, "utf8");
  } catch {
    throw new ConfigError(`Unable to open config file ${filename}`);
  }
  return data.replace(/\r\n/g, "\n");
}

/** Everything from the first '#' on a line is dropped before any other parsing. */
export function stripHashComment(line: string): string {
  const pos = line.indexOf("#");
  return pos >= 0 ? line.slice(0, pos) : line;
}

/** Parse text without include processing (used for the SAVE_CONFIG block). */
export function appendConfigText(store: ConfigStore, data: string, filename: string, firstLine = 1): void {
  if (!data) return;
  store.readChunk(data.split("\n").map(stripHashComment).join("\n"), filename, firstLine);
}

/** Python's os.path.dirname. */
function pyDirname(path: string): string {
  const i = path.lastIndexOf("/") + 1;
  const head = path.slice(0, i);
  return head && head !== "/".repeat(head.length) ? head.replace(/\/+$/, "") : head;
}

/** Python's os.path.join for two parts. */
function pyJoin(a: string, b: string): string {
  if (b.startsWith("/") || a === "") return b;
  return a.endsWith("/") ? a + b : `${a}/${b}`;
}

export interface IncludeReport {
  /** Every file read, main file first, in read order. */
  files: string[];
}

/** Parse `data` (the text of `filename`) with includes into `store`. */
export function parseWithIncludes(store: ConfigStore, data: string, filename: string, report: IncludeReport = { files: [] }, visited = new Set<string>()): IncludeReport {
  const path = resolve(filename);
  if (visited.has(path)) throw new ConfigError(`Recursive include of config file '${filename}'`);
  visited.add(path);
  if (!report.files.includes(filename)) report.files.push(filename);
  const lines = data.split("\n");
  let buf: string[] = [];
  let bufStart = 1;
  for (let i = 0; i < lines.length; i++) {
    const line = stripHashComment(lines[i]!);
    const header = SECTION_HEADER_RE.exec(line)?.[1];
    if (header?.startsWith("include ")) {
      appendConfigText(store, buf.join("\n"), filename, bufStart);
      buf = [];
      bufStart = i + 2;
      resolveInclude(store, filename, header.slice(8).trim(), report, visited);
    } else buf.push(line);
  }
  appendConfigText(store, buf.join("\n"), filename, bufStart);
  visited.delete(path);
  return report;
}

function resolveInclude(store: ConfigStore, sourceFile: string, spec: string, report: IncludeReport, visited: Set<string>): void {
  const pattern = pyJoin(pyDirname(sourceFile), spec.trim());
  const files = glob(pattern);
  if (!files.length && !hasMagic(pattern)) throw new ConfigError(`Include file '${pattern}' does not exist`);
  files.sort();
  for (const file of files) parseWithIncludes(store, readConfigFile(file), file, report, visited);
}
