// Klipper's parsedump as a stream transform: bytes in, the exact text Klipper's tool prints out.
import { BlockReader } from "./block.ts";
import type { DataDictionary } from "./dictionary.ts";
import { Cursor } from "./vlq.ts";

export interface DumpProblem {
  /** Number of the valid block (counting from 1) that could not be printed. */
  block: number;
  message: string;
}

/**
 * Decodes a message-block byte stream into parsedump text. Text is handed out in chunks of roughly
 * `chunkChars` characters so that huge streams never become one giant string.
 */
export class ParseDumper {
  readonly reader = new BlockReader();
  readonly problems: DumpProblem[] = [];
  private readonly cur = new Cursor(new Uint8Array(0), 0, 0);
  private pending: string[] = [];
  private pendingChars = 0;

  constructor(
    private readonly dict: DataDictionary,
    private readonly emit: (text: string) => void,
    private readonly chunkChars = 1 << 16,
  ) {}

  push(chunk: Uint8Array): void {
    this.reader.push(chunk);
    for (let block = this.reader.nextView(); block; block = this.reader.nextView()) {
      const text = this.dict.dumpBlock(block, this.cur);
      if (text === null) {
        const n = this.reader.stats.blocks;
        this.problems.push({ block: n, message: `block ${n}: a message runs past the end of the block` });
        continue;
      }
      this.pending.push(text);
      this.pendingChars += text.length;
      if (this.pendingChars >= this.chunkChars) this.flushText();
    }
  }

  /** Emits the remaining text; bytes of an incomplete final block are reported, not printed. */
  end(): void {
    this.flushText();
  }

  private flushText(): void {
    if (!this.pending.length) return;
    const text = this.pending.join("");
    this.pending = [];
    this.pendingChars = 0;
    this.emit(text);
  }
}
