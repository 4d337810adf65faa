// Splits extended G-code parameters the way Python's shlex (posix mode, whitespace_split,
// commenters '#;') does for Klipper: single and double quotes, backslash escapes outside
// single quotes, and a '#' or ';' that ends the text even in the middle of a word.
export class ShlexError extends Error {}

const WHITESPACE = " \t\r\n";
const COMMENTERS = "#;";

export function shlexSplit(text: string): string[] {
  const tokens: string[] = [];
  let token = "";
  let quoted = false;
  let inToken = false;
  let i = 0;
  const emit = () => {
    if (token || quoted) tokens.push(token);
    token = "";
    quoted = false;
    inToken = false;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (WHITESPACE.includes(c)) {
      if (inToken) emit();
      i++;
    } else if (COMMENTERS.includes(c)) {
      // The rest of the line is a comment; a comment ends the current token.
      const nl = text.indexOf("\n", i);
      if (inToken) emit();
      if (nl < 0) break;
      i = nl + 1;
    } else if (c === "'" || c === '"') {
      inToken = true;
      quoted = true;
      i++;
      for (;;) {
        if (i >= text.length) throw new ShlexError("No closing quotation");
        const q = text[i]!;
        if (q === c) {
          i++;
          break;
        }
        if (c === '"' && q === "\\") {
          if (i + 1 >= text.length) throw new ShlexError("No escaped character");
          const next = text[i + 1]!;
          // Inside double quotes a backslash only escapes '"' and '\'.
          token += next === '"' || next === "\\" ? next : `\\${next}`;
          i += 2;
          continue;
        }
        token += q;
        i++;
      }
    } else if (c === "\\") {
      if (i + 1 >= text.length) throw new ShlexError("No escaped character");
      inToken = true;
      token += text[i + 1]!;
      i += 2;
    } else {
      inToken = true;
      token += c;
      i++;
    }
  }
  if (inToken) emit();
  return tokens;
}
