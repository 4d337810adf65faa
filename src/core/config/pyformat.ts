// Formatting helpers that reproduce how Python prints values inside Klipper's messages
// ("%s" of a float, "%r" of a string), so error texts match Klipper's byte for byte.

/** Python's str()/repr() of a float: shortest round-trip digits, ".0" for integral values,
 * exponent notation below 1e-4 and from 1e16 up ("1e-05", "1.5e+16"). */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa, expText] = x.toExponential().split("e") as [string, string];
  const exp = Number(expText);
  if (exp >= -4 && exp < 16) {
    const fixed = String(x);
    return fixed.includes(".") ? fixed : `${fixed}.0`;
  }
  const sign = exp < 0 ? "-" : "+";
  return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, "0")}`;
}

/** Python's repr() of a str: single quotes unless the text holds a single quote and no double. */
export function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === quote || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch < " " || ch === "\x7f") out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + quote;
}

const INT_RE = /^[+-]?\d+(?:_\d+)*$/;
const FLOAT_RE = /^[+-]?(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+(?:_\d+)*)?$/;
const SPECIAL_FLOAT_RE = /^([+-]?)(inf|infinity|nan)$/i;

/** Digit group separators dropped (rare: every G-code coordinate comes through here). */
function withoutUnderscores(t: string): string {
  return t.includes("_") ? t.replaceAll("_", "") : t;
}

/** Python int(text) for decimal strings (surrounding whitespace allowed); null when Python would raise. */
export function parsePyInt(text: string): number | null {
  const t = text.trim();
  if (!INT_RE.test(t)) return null;
  return Number(withoutUnderscores(t));
}

/** Python float(text); null when Python would raise ValueError. */
export function parsePyFloat(text: string): number | null {
  const t = text.trim();
  if (FLOAT_RE.test(t)) return Number(withoutUnderscores(t));
  const m = SPECIAL_FLOAT_RE.exec(t);
  if (!m) return null;
  if (m[2]!.toLowerCase() === "nan") return Number.NaN;
  return m[1] === "-" ? -Infinity : Infinity;
}
