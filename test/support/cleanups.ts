// What a test starts and must stop (processes, servers, temp dirs), undone after each test,
// newest first.
import { afterEach } from "bun:test";
import { TempDir } from "./temp-dir.ts";

export class Cleanups {
  private readonly fns: (() => Promise<void> | void)[] = [];

  /** Call at the top level of a test file: registers the afterEach hook. */
  constructor() {
    afterEach(async () => {
      for (const c of this.fns.splice(0).reverse()) await c();
    });
  }

  push(fn: () => Promise<void> | void): void {
    this.fns.push(fn);
  }

  /** A temp dir, removed after the test. */
  tempDir(prefix: string): string {
    const dir = new TempDir(prefix);
    this.push(() => dir.remove());
    return dir.path;
  }
}
