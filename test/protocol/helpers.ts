// Shared by the protocol tests: reference data paths and a seeded random generator.
import { readdirSync } from "node:fs";

/** ../shared/reference/klipper beside the repository clone. */
export const REFERENCE = new URL("../../../shared/reference/klipper/", import.meta.url).pathname;
export const DICT_DIR = REFERENCE + "dict/";

export function dictFiles(): string[] {
  return readdirSync(DICT_DIR).filter((f) => f.endsWith(".dict")).sort();
}

/** mulberry32: small, fast, deterministic for a seed. */
export class Rng {
  constructor(private state: number) {}
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.int(0, 255);
    return b;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }
}
