// Klipper's example printer configs as printers.test runs them (each CONFIG with the DICTIONARY lines
// in effect), for sweeps of Stepline's batch mode against real klippy on move.gcode.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compareWithKlippy, type Dicts, type OracleComparison } from "./klippy-oracle.ts";
import { dictPath, KLIPPER_REFERENCE } from "./reference.ts";

export interface SweepConfig {
  /** file name in configs/ */
  name: string;
  path: string;
  dicts: Dicts;
}

export const MOVE_GCODE = `${KLIPPER_REFERENCE}/configs/move.gcode`;

/** printers.test's configs whose dictionaries are in the reference kit (all but the PRU ones). */
export function sweepConfigs(): SweepConfig[] {
  const out: SweepConfig[] = [];
  let dicts: Dicts = {};
  for (const line of readFileSync(`${KLIPPER_REFERENCE}/configs/printers.test`, "utf8").split("\n")) {
    const [kw, ...args] = line.trim().split(/\s+/);
    if (kw === "DICTIONARY") dicts = Object.fromEntries(args.map((a) => (a.includes("=") ? a.split("=", 2) : ["mcu", a])).map(([k, v]) => [k!, dictPath(v!)]));
    if (kw === "CONFIG" && Object.values(dicts).every(existsSync)) out.push({ name: args[0]!, path: `${KLIPPER_REFERENCE}/configs/${args[0]}`, dicts });
  }
  return out;
}

/** One config × move.gcode through klippy and Stepline, compared at `tolUs` (0 = to the tick). */
export function sweepOne(workDir: string, c: SweepConfig, tolUs = 0): Promise<OracleComparison> {
  return compareWithKlippy(join(workDir, c.name), c.path, MOVE_GCODE, c.dicts, tolUs);
}
