// The printer's data folder, laid out like Klipper's printer_data: config/ (printer.cfg),
// gcodes/ (the SD card), logs/. Created on first run; printer.cfg of the virtual printer is
// written there once, so the user can edit it afterwards.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { virtualPrinterConfig } from "./config.ts";

export interface PrinterDataDirs {
  root: string;
  config: string;
  gcodes: string;
  logs: string;
  /** config/printer.cfg */
  printerCfg: string;
}

export function defaultDataDir(): string {
  return join(homedir(), "printer_data");
}

/** The folders under `root` (default ~/printer_data), created if missing. */
export function ensureDataDirs(root: string = defaultDataDir()): PrinterDataDirs {
  const abs = resolve(root);
  const dirs = { root: abs, config: join(abs, "config"), gcodes: join(abs, "gcodes"), logs: join(abs, "logs") };
  for (const d of Object.values(dirs)) {
    try {
      mkdirSync(d, { recursive: true });
    } catch (e) {
      throw new Error(`cannot create data folder '${d}': ${(e as Error).message}`);
    }
  }
  return { ...dirs, printerCfg: join(dirs.config, "printer.cfg") };
}

/** Write the virtual printer's printer.cfg unless one exists; true when it was written. */
export function writeVirtualPrinterCfg(dirs: PrinterDataDirs): boolean {
  if (existsSync(dirs.printerCfg)) return false;
  try {
    writeFileSync(dirs.printerCfg, virtualPrinterConfig({ gcodesDir: dirs.gcodes }), { flag: "wx" });
  } catch (e) {
    throw new Error(`cannot write '${dirs.printerCfg}': ${(e as Error).message}`);
  }
  return true;
}
