// Small dense linear algebra with the same summation order as Klipper's mathutil, so that
// derived values (shaper amplitudes, kinematic inverses) agree to the last bit.
//   dot(a, b), transpose(m), gaussianSolve(a, rhs), pseudoInverse(m)

/** Left-to-right dot product (Python's sum(map(mul, a, b))). */
export function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function transpose(a: readonly (readonly number[])[]): number[][] {
  if (!a.length) return [];
  return a[0]!.map((_, i) => a.map((row) => row[i]!));
}

/**
 * Solve a * X = rhs (rhs: one row per equation, any number of columns) by elimination from
 * the last column with partial pivoting; null when `a` is singular.
 */
export function gaussianSolve(a: readonly (readonly number[])[], rhs: readonly (readonly number[])[]): number[][] | null {
  const m = a.map((r) => r.slice()), res = rhs.map((r) => r.slice());
  const n = m.length;
  for (let i = n - 1; i >= 0; i--) {
    let j = 0, best = -1;
    for (let k = 0; k <= i; k++) { const v = Math.abs(m[k]![i]!); if (v > best) { best = v; j = k; } }
    if (i !== j) { [m[i], m[j]] = [m[j]!, m[i]!]; [res[i], res[j]] = [res[j]!, res[i]!]; }
    const mi = m[i]!;
    if (Math.abs(mi[i]!) < 1e-10) return null;
    const recipr = 1. / mi[i]!;
    const miScaled = mi.slice(0, i).map((v) => v * recipr);
    m[i] = miScaled;
    const ri = res[i] = res[i]!.map((v) => v * recipr);
    for (let r = 0; r < i; r++) {
      const mr = m[r]!, c = mr[i]!;
      m[r] = miScaled.map((v, k) => mr[k]! - c * v);
      res[r] = res[r]!.map((v, k) => v - c * ri[k]!);
    }
  }
  const cols = res.length && res[0]!.length ? transpose(res) : [];
  if (!cols.length) return res;
  for (const col of cols)
    for (let i = 1; i < n; i++) col[i] = col[i]! - dot(m[i]!, col.slice(0, i));
  return transpose(cols);
}

/** (MᵀM)⁻¹Mᵀ; null when MᵀM is singular. */
export function pseudoInverse(m: readonly (readonly number[])[]): number[][] | null {
  const mt = transpose(m);
  const mtm = mt.map((ri) => mt.map((rj) => dot(ri, rj)));
  return gaussianSolve(mtm, mt);
}
