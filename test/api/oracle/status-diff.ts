// Field-by-field comparison of two JSON values (klippy's answer and Stepline's) with named, explained
// exceptions: a path pattern ("toolhead.print_time", "mcu.last_stats.*") whose values may differ.

export interface Difference {
  path: string;
  kind: "only_klippy" | "only_stepline" | "value";
  klippy?: unknown;
  stepline?: unknown;
}

/** A difference that is inherent to running two hosts, with the reason it cannot be equal. */
export interface Exception {
  /** Dotted path; a trailing ".*" covers everything below. */
  path: string;
  /** What may differ: values only (names must still match), or the field's presence too. */
  allows: "value" | "presence";
  why: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Every place where `klippy` and `stepline` differ (arrays are compared as values, in order). */
export function diffJson(klippy: unknown, stepline: unknown, path = ""): Difference[] {
  if (isObject(klippy) && isObject(stepline)) {
    const out: Difference[] = [];
    for (const k of new Set([...Object.keys(klippy), ...Object.keys(stepline)])) {
      const p = path ? `${path}.${k}` : k;
      if (!(k in stepline)) out.push({ path: p, kind: "only_klippy", klippy: klippy[k] });
      else if (!(k in klippy)) out.push({ path: p, kind: "only_stepline", stepline: stepline[k] });
      else out.push(...diffJson(klippy[k], stepline[k], p));
    }
    return out;
  }
  return Bun.deepEquals(klippy, stepline, true) ? [] : [{ path, kind: "value", klippy, stepline }];
}

function covers(e: Exception, d: Difference): boolean {
  const match = e.path.endsWith(".*") ? d.path.startsWith(e.path.slice(0, -1)) : d.path === e.path;
  return match && (d.kind === "value" || e.allows === "presence");
}

/** The differences no exception explains. */
export function unexplained(diffs: Difference[], exceptions: readonly Exception[]): Difference[] {
  return diffs.filter((d) => !exceptions.some((e) => covers(e, d)));
}
