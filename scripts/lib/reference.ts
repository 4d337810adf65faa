// Where benches and tests find Klipper's reference data: ../shared/reference beside the repository clone
// (that is where CI puts it), or STEPLINE_REFERENCE. Read in place, never copied into the project.
import { resolve } from "node:path";

export const SHARED_REFERENCE = process.env.STEPLINE_REFERENCE ?? resolve(import.meta.dir, "../../../shared/reference");
/** Klipper's dictionaries (dict/), cases (cases/), example configs (configs/) and klippy's tarball. */
export const KLIPPER_REFERENCE = `${SHARED_REFERENCE}/klipper`;
/** Klipper's source (for tests that run klippy's own tools): ../klipper-src, or STEPLINE_KLIPPER_SRC. */
export const KLIPPER_SRC = process.env.STEPLINE_KLIPPER_SRC ?? resolve(import.meta.dir, "../../../klipper-src");

/** Path of a real firmware data dictionary, e.g. "atmega2560.dict". */
export function dictPath(name: string): string {
  return `${KLIPPER_REFERENCE}/dict/${name}`;
}
