// Decoding what a host wrote to an MCU (a batch output file, or bytes captured off a link):
// framed blocks → messages → Klipper's parsedump text lines.
import { readFileSync } from "node:fs";
import { BlockReader, type DataDictionary, type DecodedMessage } from "../../src/protocol/index.ts";

function blockPayloads(data: Uint8Array | string): Uint8Array[] {
  const reader = new BlockReader();
  reader.push(typeof data === "string" ? new Uint8Array(readFileSync(data)) : data);
  const payloads: Uint8Array[] = [];
  for (let b = reader.next(); b; b = reader.next()) payloads.push(b.payload);
  return payloads;
}

/** Every message in `data` (bytes, or the path of a file holding them). */
export function decodeMessages(dict: DataDictionary, data: Uint8Array | string): DecodedMessage[] {
  return blockPayloads(data).flatMap((p) => dict.decodeMessages(p));
}

/** Every message in `data` as parsedump prints it. */
export function decodeLines(dict: DataDictionary, data: Uint8Array | string): string[] {
  return decodeMessages(dict, data).map((m) => dict.formatMessage(m));
}
