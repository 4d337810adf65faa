// Moonraker's database keys: "a.b.c" or ["a", "b", "c"] address nested objects in a namespace.
import { ApiError } from "../endpoint.ts";

export type KeyPath = string | readonly string[];

/** A key as its list of segments; empty keys and empty segments are refused. */
export function keySegments(key: KeyPath): string[] {
  const parts = typeof key === "string" ? key.split(".") : [...key];
  if (parts.length === 0 || parts.some((p) => p === "")) throw new ApiError(`Invalid database key: ${JSON.stringify(key)}`, 400);
  return parts;
}

/** The key as Moonraker echoes it in error messages ("a.b.c"). */
export function keyText(key: KeyPath): string {
  return typeof key === "string" ? key : key.join(".");
}

export function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}
