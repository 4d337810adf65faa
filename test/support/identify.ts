// Klipper's identify exchange from the host side, for tests that talk to an MCU without the Mcu class.
import { DataDictionary } from "../../src/protocol/index.ts";

/** Asks for 40-byte pieces of the zlib'd dictionary (`identify` → its data) until one comes back empty. */
export async function fetchDictionary(identify: (offset: number, count: number) => Promise<Uint8Array>): Promise<DataDictionary> {
  const pieces: Uint8Array[] = [];
  for (let offset = 0; ; ) {
    const data = await identify(offset, 40);
    if (!data.length) break;
    pieces.push(data.slice());
    offset += data.length;
  }
  return DataDictionary.fromZlib(Buffer.concat(pieces));
}
