// Shared by the protocol tests: the reference dictionaries.
import { readdirSync } from "node:fs";
import { KLIPPER_REFERENCE } from "../support/reference.ts";

export const REFERENCE = `${KLIPPER_REFERENCE}/`;
export const DICT_DIR = REFERENCE + "dict/";

export function dictFiles(): string[] {
  return readdirSync(DICT_DIR).filter((f) => f.endsWith(".dict")).sort();
}
