// The firmware side of message parsing: reads a command's msgid and arguments out of a block
// payload the way the firmware's command parser does (every integer a 32-bit VLQ, kept as the raw
// int32 pattern for the handler to narrow). Errors here become firmware shutdowns, so it reports an
// overrun instead of guessing. Encoding responses uses src/protocol's MessageFormat.

import type { MessageFormat } from "../src/protocol/index.ts";

/** Thrown when a command's arguments run past the end of its block (firmware: "Command parser error"). */
export class ParseOverrun extends Error {}

export type ArgValue = number | Uint8Array;

function readVlq(buf: Uint8Array, pos: number, end: number): { value: number; next: number } {
  if (pos >= end) throw new ParseOverrun("integer past end of block");
  let c = buf[pos++]!;
  let v = c & 0x7f;
  if ((c & 0x60) === 0x60) v |= -0x20;
  while (c & 0x80) {
    if (pos >= end) throw new ParseOverrun("integer past end of block");
    c = buf[pos++]!;
    v = (v << 7) | (c & 0x7f);
  }
  return { value: v | 0, next: pos };
}

/** A message id as the firmware indexes its command table: one byte, or two when the high bit is set. */
export function readMsgId(buf: Uint8Array, pos: number, end: number): { id: number; next: number } {
  if (pos >= end) throw new ParseOverrun("message id past end of block");
  let id = buf[pos++]!;
  if (id & 0x80) {
    if (pos >= end) throw new ParseOverrun("message id past end of block");
    id = ((id & 0x7f) << 7) | buf[pos++]!;
  }
  return { id, next: pos };
}

/** The table key readMsgId yields for a message (from its VLQ-encoded id bytes). */
export function tableId(fmt: MessageFormat): number {
  const b = fmt.idBytes;
  if (b.length === 1) return b[0]!;
  if (b.length === 2) return ((b[0]! & 0x7f) << 7) | b[1]!;
  throw new Error(`message '${fmt.format}': id ${fmt.id} needs more than two bytes`);
}

/** Parses the arguments of one command. */
export function readArgs(fmt: MessageFormat, buf: Uint8Array, pos: number, end: number): { args: ArgValue[]; next: number } {
  const args: ArgValue[] = [];
  for (const p of fmt.params) {
    if (p.type.isInt) {
      const r = readVlq(buf, pos, end);
      args.push(r.value);
      pos = r.next;
    } else {
      if (pos >= end) throw new ParseOverrun("buffer length past end of block");
      const len = buf[pos++]!;
      if (pos + len > end) throw new ParseOverrun("buffer past end of block");
      args.push(buf.slice(pos, pos + len));
      pos += len;
    }
  }
  return { args, next: pos };
}
