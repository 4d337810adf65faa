// A real temp dir for a test file: write files into it, remove it (and everything in it) afterwards.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export class TempDir {
  readonly path: string;
  constructor(prefix = "stepline-test-") {
    this.path = mkdtempSync(join(tmpdir(), prefix));
  }
  /** Write `text` to `rel` (creating folders); returns the absolute path. */
  write(rel: string, text: string): string {
    const p = join(this.path, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
    return p;
  }
  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}
