// Valibot pieces for endpoint params that arrive as query strings over HTTP and as JSON over the
// websocket: like Moonraker's get_int/get_float/get_boolean, a numeric or boolean string is accepted.
import * as v from "valibot";

const NUMERIC = /^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/** A number, or a string holding one. */
export const num = v.union([
  v.pipe(v.number(), v.finite()),
  v.pipe(v.string(), v.regex(NUMERIC, "Expected a number"), v.transform(Number)),
]);

/** An integer, or a string holding one. */
export const int = v.union([
  v.pipe(v.number(), v.integer()),
  v.pipe(v.string(), v.regex(/^\s*-?\d+\s*$/, "Expected an integer"), v.transform(Number)),
]);

/** A boolean, or "true"/"false" (any case), or 1/0. */
export const bool = v.union([
  v.boolean(),
  v.pipe(
    v.union([v.string(), v.number()]),
    v.transform((x) => String(x).toLowerCase()),
    v.picklist(["true", "false", "1", "0"], "Expected a boolean"),
    v.transform((s) => s === "true" || s === "1"),
  ),
]);
