// Filename globbing with Python's glob.glob() rules, which Klipper uses for [include]:
// '*', '?' and '[...]' per path component, names starting with '.' only match a pattern
// that starts with '.', no brace expansion, no recursive '**'.
import { readdirSync, statSync } from "node:fs";

const MAGIC_RE = /[*?[]/;

export function hasMagic(pattern: string): boolean {
  return MAGIC_RE.test(pattern);
}

/** fnmatch-style pattern for one path component → anchored RegExp. */
function componentRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[") {
      let j = i + 1;
      if (pattern[j] === "!") j++;
      if (pattern[j] === "]") j++;
      while (j < pattern.length && pattern[j] !== "]") j++;
      if (j >= pattern.length) re += "\\[";
      else {
        let body = pattern.slice(i + 1, j);
        const negate = body.startsWith("!");
        if (negate) body = body.slice(1);
        body = body.replace(/\\/g, "\\\\").replace(/\]/g, "\\]").replace(/\^/g, "\\^");
        re += `[${negate ? "^" : ""}${body}]`;
        i = j;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, "s");
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Paths matching `pattern` (unsorted, like glob.glob; callers sort). */
export function glob(pattern: string): string[] {
  if (!hasMagic(pattern)) return exists(pattern) ? [pattern] : [];
  const absolute = pattern.startsWith("/");
  const parts = pattern.split("/").filter((p, i) => p !== "" || i === 0);
  let current: string[] = [absolute ? "/" : ""];
  for (let idx = absolute ? 1 : 0; idx < parts.length; idx++) {
    const part = parts[idx]!;
    const last = idx === parts.length - 1;
    const next: string[] = [];
    for (const base of current) {
      const dir = base === "" ? "." : base;
      const join = (name: string) => (base === "" ? name : base.endsWith("/") ? base + name : `${base}/${name}`);
      if (!hasMagic(part)) {
        const candidate = join(part);
        if (last ? exists(candidate) : isDir(candidate)) next.push(candidate);
        continue;
      }
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      const re = componentRegExp(part);
      for (const name of names) {
        if (name.startsWith(".") && !part.startsWith(".")) continue;
        if (!re.test(name)) continue;
        const candidate = join(name);
        if (last || isDir(candidate)) next.push(candidate);
      }
    }
    current = next;
  }
  return current;
}
