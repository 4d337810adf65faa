// Klipper's reference data for the tests (paths from scripts/lib/reference.ts: ../shared/reference or
// STEPLINE_REFERENCE), and its dictionaries parsed.
import { readFileSync } from "node:fs";
import { DataDictionary } from "../../src/protocol/index.ts";
import { dictPath } from "../../scripts/lib/reference.ts";

export { dictPath, KLIPPER_REFERENCE, KLIPPER_SRC, SHARED_REFERENCE } from "../../scripts/lib/reference.ts";

/** A real firmware data dictionary, parsed. */
export function loadDict(name: string): DataDictionary {
  return DataDictionary.fromJson(readFileSync(dictPath(name), "utf8"));
}
