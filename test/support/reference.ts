// Klipper's reference data for the tests (paths from scripts/lib/reference.ts: ../shared/reference or
// STEPLINE_REFERENCE), and its dictionaries parsed.
import { readFileSync } from "node:fs";
import { DataDictionary } from "../../src/protocol/index.ts";
import { KLIPPER_REFERENCE } from "../../scripts/lib/reference.ts";

export { KLIPPER_REFERENCE, KLIPPER_SRC, SHARED_REFERENCE } from "../../scripts/lib/reference.ts";

/** Path of a real firmware data dictionary, e.g. "atmega2560.dict". */
export function dictPath(name: string): string {
  return `${KLIPPER_REFERENCE}/dict/${name}`;
}

/** A real firmware data dictionary, parsed. */
export function loadDict(name: string): DataDictionary {
  return DataDictionary.fromJson(readFileSync(dictPath(name), "utf8"));
}
