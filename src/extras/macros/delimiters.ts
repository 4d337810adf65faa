// Klipper renders templates with Jinja2 set to `{ }` for expressions (statements stay `{% %}`,
// comments `{# #}`). The engine only knows `{{ }}`, so templates are rewritten once at load:
// every `{` that opens an expression becomes `{{` and its closing `}` becomes `}}`. As in
// Jinja2's lexer, braces inside an expression nest (dict literals) and braces inside string
// literals don't count. Line structure is kept, so line numbers in errors stay right.

export class DelimiterError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

/** Skip a quoted string starting at `i` (the quote); returns the index after it. */
function skipString(src: string, i: number, line: () => number): number {
  const quote = src[i]!;
  for (let j = i + 1; j < src.length; j++) {
    if (src[j] === "\\") j++;
    else if (src[j] === quote) return j + 1;
    else if (src[j] === "\n") break;
  }
  throw new DelimiterError("unexpected end of string", line());
}

/**
 * Scan an expression or statement body from `i` up to its closing delimiter (`}` at bracket
 * depth 0, or `%}`). Returns [body, index after the closing delimiter].
 */
function scanTag(src: string, i: number, close: "}" | "%}", lineAt: (pos: number) => number): [string, number] {
  const start = i;
  const stack: string[] = [];
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === "'" || ch === '"') {
      i = skipString(src, i, () => lineAt(i));
      continue;
    }
    if (stack.length === 0 && src.startsWith(close, i)) return [src.slice(start, i), i + close.length];
    if (ch === "(" || ch === "[" || ch === "{") stack.push(ch);
    else if (ch === ")" || ch === "]" || ch === "}") {
      const open = stack.pop();
      if (open === undefined || "([{".indexOf(open) !== ")]}".indexOf(ch)) throw new DelimiterError(`unexpected '${ch}'`, lineAt(i));
    }
    i++;
  }
  throw new DelimiterError(close === "}" ? "unexpected end of template, expected '}'" : "unexpected end of template, expected '%}'", lineAt(start));
}

/** Rewrite a Klipper-syntax template into the engine's `{{ }}` syntax. */
export function toEngineSyntax(src: string): string {
  const lineAt = (pos: number) => src.slice(0, pos).split("\n").length;
  let out = "";
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf("{", i);
    if (open < 0) {
      out += src.slice(i);
      break;
    }
    out += src.slice(i, open);
    const next = src[open + 1];
    if (next === "#") {
      const end = src.indexOf("#}", open + 2);
      if (end < 0) throw new DelimiterError("missing end of comment tag", lineAt(open));
      out += src.slice(open, end + 2);
      i = end + 2;
    } else if (next === "%") {
      const [body, after] = scanTag(src, open + 2, "%}", lineAt);
      out += `{%${body}%}`;
      i = after;
    } else {
      const [body, after] = scanTag(src, open + 1, "}", lineAt);
      // `{-` and `-}` are whitespace control, as `{{-` and `-}}` are
      const lstrip = body.startsWith("-") ? "-" : "";
      const rstrip = body.endsWith("-") && body.length > lstrip.length ? "-" : "";
      const inner = body.slice(lstrip.length, body.length - rstrip.length);
      out += `{{${lstrip} ${inner} ${rstrip}}}`;
      i = after;
    }
  }
  return out;
}
