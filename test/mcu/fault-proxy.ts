// An in-process relay between two byte transports that drops and corrupts
// bytes in both directions with fixed seeds: a noisy serial line.
import type { ByteTransport } from "../../src/mcu/transport/index.ts";
import { seededRandom } from "../../scripts/lib/random.ts";

export interface FaultRates {
  drop: number;
  corrupt: number;
}

/** Drops and corrupts bytes at the given rates (one random draw per byte), counting what it did. */
export class FaultCounter {
  bytes = 0;
  dropped = 0;
  corrupted = 0;
  constructor(
    private readonly rnd: () => number,
    public rates: FaultRates,
  ) {}
  apply(chunk: Uint8Array): Uint8Array {
    const out = new Uint8Array(chunk.length);
    let n = 0;
    for (const b of chunk) {
      this.bytes++;
      const r = this.rnd();
      if (r < this.rates.drop) {
        this.dropped++;
        continue;
      }
      if (r < this.rates.drop + this.rates.corrupt) {
        this.corrupted++;
        out[n++] = b ^ (1 + Math.floor(this.rnd() * 255));
        continue;
      }
      out[n++] = b;
    }
    return out.subarray(0, n);
  }
}

export class FaultProxy {
  readonly toMcu: FaultCounter;
  readonly toHost: FaultCounter;
  constructor(
    private readonly hostSide: ByteTransport,
    private readonly mcuSide: ByteTransport,
    seed: number,
    rates: FaultRates,
  ) {
    this.toMcu = new FaultCounter(seededRandom(seed), { ...rates });
    this.toHost = new FaultCounter(seededRandom(seed + 1), { ...rates });
  }
  start(): void {
    this.hostSide.onData((chunk) => this.mcuSide.write(this.toMcu.apply(chunk)));
    this.mcuSide.onData((chunk) => this.hostSide.write(this.toHost.apply(chunk)));
  }
  setRates(rates: FaultRates): void {
    this.toMcu.rates = { ...rates };
    this.toHost.rates = { ...rates };
  }
  async stop(): Promise<void> {
    await this.hostSide.close();
    await this.mcuSide.close();
  }
}
