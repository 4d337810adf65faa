// Piecewise-linear mapping through calibration samples, extrapolated beyond both ends with the
// outermost segments. Collinear neighbouring segments are merged.

export class LinearInterpolate {
  private readonly keys: number[] = [];
  private readonly gains: number[] = [];
  private readonly offsets: number[] = [];

  /** Throws Error("duplicate value") / Error("need at least two samples") for unusable tables. */
  constructor(samples: ReadonlyArray<readonly [number, number]>) {
    const sorted = [...samples].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let lastKey: number | null = null;
    let lastValue = 0;
    for (const [key, value] of sorted) {
      if (lastKey === null) {
        lastKey = key;
        lastValue = value;
        continue;
      }
      if (key <= lastKey) throw new Error("duplicate value");
      const gain = (value - lastValue) / (key - lastKey);
      const offset = lastValue - lastKey * gain;
      const n = this.gains.length;
      if (n && this.gains[n - 1] === gain && this.offsets[n - 1] === offset) continue;
      lastKey = key;
      lastValue = value;
      this.keys.push(key);
      this.gains.push(gain);
      this.offsets.push(offset);
    }
    if (!this.keys.length) throw new Error("need at least two samples");
    // A sentinel key past any real input so lookups above the table reuse the last segment.
    this.keys.push(9999999999999);
    this.gains.push(this.gains[this.gains.length - 1]!);
    this.offsets.push(this.offsets[this.offsets.length - 1]!);
  }

  interpolate(key: number): number {
    // First segment whose end key is greater than `key` (bisect-right).
    let lo = 0, hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (key < this.keys[mid]!) hi = mid;
      else lo = mid + 1;
    }
    const pos = Math.min(lo, this.keys.length - 1);
    return key * this.gains[pos]! + this.offsets[pos]!;
  }

  reverseInterpolate(value: number): number {
    const n = this.keys.length;
    const ends = this.keys.map((k, i) => k * this.gains[i]! + this.offsets[i]!);
    const increasing = ends[0]! < ends[n - 2]!;
    let pos = n - 1;
    for (let i = 0; i < n; i++) {
      if (increasing ? ends[i]! >= value : ends[i]! <= value) {
        pos = i;
        break;
      }
    }
    return (value - this.offsets[pos]!) / this.gains[pos]!;
  }
}
