// Small printable models for the sliced-print differential tests, written as ASCII STL directly
// (no OpenSCAD needed): boxes, faceted cylinders and cones, tubes. Sizes in mm, base at z = 0, centred
// on x = y = 0 (CuraEngine places them at the bed centre).

type Vec = readonly [number, number, number];
type Tri = readonly [Vec, Vec, Vec];

export type ModelKind = "box" | "cylinder" | "cone" | "tube";
export interface ModelSpec {
  kind: ModelKind;
  /** footprint width (diameter for round models), mm */
  size: number;
  height: number;
  /** facets around round models */
  facets?: number;
}

function ring(r: number, z: number, n: number): Vec[] {
  return Array.from({ length: n }, (_, i) => [r * Math.cos((2 * Math.PI * i) / n), r * Math.sin((2 * Math.PI * i) / n), z] as const);
}

/** Side walls between two rings of equal length, facing outwards (`inward` flips them). */
function walls(lo: Vec[], hi: Vec[], inward = false): Tri[] {
  const out: Tri[] = [];
  for (let i = 0; i < lo.length; i++) {
    const j = (i + 1) % lo.length;
    const a = lo[i]!, b = lo[j]!, c = hi[j]!, d = hi[i]!;
    out.push(...(inward ? [[a, c, b], [a, d, c]] as Tri[] : [[a, b, c], [a, c, d]] as Tri[]));
  }
  return out;
}

/** A fan cap over a ring (`up` = normal +z). */
function cap(r: Vec[], up: boolean): Tri[] {
  const z = r[0]![2];
  const c: Vec = [0, 0, z];
  return r.map((p, i) => {
    const q = r[(i + 1) % r.length]!;
    return up ? [c, p, q] : [c, q, p];
  });
}

/** Annulus between two rings at one height (`up` = normal +z). */
function annulus(outer: Vec[], inner: Vec[], up: boolean): Tri[] {
  return walls(inner, outer, !up);
}

function triangles(m: ModelSpec): Tri[] {
  const n = m.kind === "box" ? 4 : (m.facets ?? 48);
  const r = m.kind === "box" ? m.size / Math.SQRT2 : m.size / 2;
  const top = m.kind === "cone" ? r * 0.4 : r;
  const rot = m.kind === "box" ? Math.PI / 4 : 0;
  const turn = (v: Vec[]) => v.map(([x, y, z]) => [x * Math.cos(rot) - y * Math.sin(rot), x * Math.sin(rot) + y * Math.cos(rot), z] as const);
  const lo = turn(ring(r, 0, n)), hi = turn(ring(top, m.height, n));
  if (m.kind !== "tube") return [...walls(lo, hi), ...cap(lo, false), ...cap(hi, true)];
  const ilo = ring(r * 0.6, 0, n), ihi = ring(r * 0.6, m.height, n);
  return [...walls(lo, hi), ...walls(ilo, ihi, true), ...annulus(lo, ilo, false), ...annulus(hi, ihi, true)];
}

function normal([a, b, c]: Tri): Vec {
  const u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]], v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
  const n = [u[1]! * v[2]! - u[2]! * v[1]!, u[2]! * v[0]! - u[0]! * v[2]!, u[0]! * v[1]! - u[1]! * v[0]!];
  const l = Math.hypot(n[0]!, n[1]!, n[2]!) || 1;
  return [n[0]! / l, n[1]! / l, n[2]! / l];
}

/** The model as ASCII STL text. */
export function stl(m: ModelSpec): string {
  const f = (v: Vec) => v.map((x) => x.toFixed(5)).join(" ");
  const body = triangles(m).map((t) => `facet normal ${f(normal(t))}\nouter loop\nvertex ${f(t[0])}\nvertex ${f(t[1])}\nvertex ${f(t[2])}\nendloop\nendfacet`);
  return `solid ${m.kind}\n${body.join("\n")}\nendsolid ${m.kind}\n`;
}
