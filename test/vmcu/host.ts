// A minimal Klipper-protocol host for driving the virtual MCU in tests: frames commands with
// sequence numbers (src/protocol), decodes every block the MCU sends back, fetches the dictionary.

import { BlockReader, DataDictionary, encodeBlock, packMessages, type DecodedMessage } from "../../src/protocol/index.ts";
import type { VirtualMcu } from "../../firmware-bridge/index.ts";

export interface Received {
  seq: number;
  messages: DecodedMessage[];
}

export class TestHost {
  dict = DataDictionary.bootstrap();
  seq = 0;
  readonly blocks: Received[] = [];
  private readonly reader = new BlockReader();

  constructor(private readonly mcu: VirtualMcu) {
    mcu.onOutput((bytes) => {
      this.reader.push(bytes);
      for (let b = this.reader.next(); b; b = this.reader.next()) this.blocks.push({ seq: b.seq, messages: this.dict.decodeMessages(b.payload) });
    });
  }

  /** Frames the command lines into as few blocks as fit and feeds them to the MCU. */
  send(...lines: string[]): void {
    for (const payload of packMessages(lines.map((l) => this.dict.encodeCommandText(l)))) this.sendPayload(payload);
  }

  sendPayload(payload: Uint8Array): Uint8Array {
    const block = encodeBlock(this.seq, payload);
    this.seq = (this.seq + 1) & 0x0f;
    this.mcu.feed(block);
    return block;
  }

  /** Every received message with this name (in arrival order). */
  messages(name: string): DecodedMessage[] {
    return this.blocks.flatMap((b) => b.messages.filter((m) => m.name === name));
  }

  last(name: string): DecodedMessage | undefined {
    return this.messages(name).at(-1);
  }

  /** Fetches the dictionary through identify in 40-byte pieces, as klippy does, and switches to it. */
  identify(): DataDictionary {
    const parts: Uint8Array[] = [];
    let offset = 0;
    for (;;) {
      this.send(`identify offset=${offset} count=40`);
      const r = this.last("identify_response")!;
      if (r.params.offset !== offset) throw new Error(`identify_response for offset ${r.params.offset}, expected ${offset}`);
      const data = r.params.data as Uint8Array;
      if (!data.length) break;
      parts.push(data.slice());
      offset += data.length;
    }
    this.dict = DataDictionary.fromZlib(Buffer.concat(parts));
    return this.dict;
  }
}
