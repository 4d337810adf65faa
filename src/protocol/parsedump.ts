// Klipper's parsedump as a stream transform: bytes in, the exact text Klipper's tool prints out.
import { BlockReader } from "./block.ts";
import type { DataDictionary } from "./dictionary.ts";
import { TextSink } from "./text-sink.ts";
import { Cursor } from "./vlq.ts";

export interface DumpProblem {
  /** Number of the valid block (counting from 1) that could not be printed. */
  block: number;
  message: string;
}

/**
 * Decodes a message-block byte stream into parsedump text (UTF-8). Text is handed out in chunks of
 * about `chunkBytes`, so huge streams never become one giant string; each chunk is a fresh array.
 */
export class ParseDumper {
  readonly reader = new BlockReader();
  readonly problems: DumpProblem[] = [];
  private readonly cur = new Cursor(new Uint8Array(0), 0, 0);
  private readonly sink: TextSink;

  constructor(
    private readonly dict: DataDictionary,
    private readonly emit: (text: Uint8Array) => void,
    private readonly chunkBytes = 1 << 16,
  ) {
    this.sink = new TextSink(chunkBytes + 4096);
  }

  push(chunk: Uint8Array): void {
    this.reader.push(chunk);
    for (let block = this.reader.nextView(); block; block = this.reader.nextView()) {
      if (!this.dict.dumpBlock(block, this.sink, this.cur)) {
        const n = this.reader.stats.blocks;
        this.problems.push({ block: n, message: `block ${n}: a message runs past the end of the block` });
      }
      if (this.sink.pos >= this.chunkBytes) this.emit(this.sink.take());
    }
  }

  /** Emits the remaining text; bytes of an incomplete final block stay in `reader.buffered`. */
  end(): void {
    if (this.sink.pos) this.emit(this.sink.take());
  }
}
