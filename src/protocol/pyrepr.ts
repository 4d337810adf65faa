// Python's repr() of a bytes object (b'...'), which is how Klipper prints strings and buffers.

function escapeTable(quote: number): string[] {
  const t: string[] = [];
  for (let c = 0; c < 256; c++) {
    if (c === quote || c === 0x5c) t.push("\\" + String.fromCharCode(c));
    else if (c === 0x09) t.push("\\t");
    else if (c === 0x0a) t.push("\\n");
    else if (c === 0x0d) t.push("\\r");
    else if (c < 0x20 || c >= 0x7f) t.push("\\x" + c.toString(16).padStart(2, "0"));
    else t.push(String.fromCharCode(c));
  }
  return t;
}

const SINGLE = escapeTable(0x27);
const DOUBLE = escapeTable(0x22);

export function pyBytesRepr(data: Uint8Array): string {
  // Python picks double quotes only when the data has a single quote and no double quote.
  let single = false;
  let double = false;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 0x27) single = true;
    else if (data[i] === 0x22) double = true;
  }
  const useDouble = single && !double;
  const table = useDouble ? DOUBLE : SINGLE;
  let s = useDouble ? 'b"' : "b'";
  for (let i = 0; i < data.length; i++) s += table[data[i]!];
  return s + (useDouble ? '"' : "'");
}
