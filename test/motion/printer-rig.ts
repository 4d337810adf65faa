// A printer-like rig for motion tests: a real batch Mcu (atmega2560 dictionary), real pins,
// real endstops and a step sync whose commands are decoded with the real dictionary.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PrinterConfig } from "../../src/core/config/index.ts";
import { PrinterPins } from "../../src/core/pins.ts";
import { Mcu } from "../../src/mcu/mcu.ts";
import { BlockReader, DataDictionary } from "../../src/protocol/index.ts";
import { McuEndstop } from "../../src/motion/homing-endstop.ts";
import { StepperSyncManager } from "../../src/motion/steppersync.ts";
import { TrapQ } from "../../src/motion/trapq.ts";
import type { StepperMcu } from "../../src/motion/stepper.ts";
import type { RailServices } from "../../src/motion/rail.ts";

export const REF = "/work/shared/reference/klipper";
export const dict = DataDictionary.fromJson(readFileSync(`${REF}/dict/atmega2560.dict`, "utf8"));
const quiet = { info: () => {}, warn: () => {} };

/** A temp dir for the test file; call cleanup() in afterAll. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "stepline-steps-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function decodeFile(path: string): string[] {
  const reader = new BlockReader();
  reader.push(new Uint8Array(readFileSync(path)));
  const lines: string[] = [];
  for (let b = reader.next(); b; b = reader.next()) for (const m of dict.decodeMessages(b.payload)) lines.push(dict.formatMessage(m));
  return lines;
}

export function printerRig(cfgText: string, outputPath: string) {
  const mcu = new Mcu("mcu", { batch: { dict, outputPath }, log: quiet });
  const pins = new PrinterPins();
  pins.registerChip("mcu", { setupPin: () => null, dict });
  const sent: string[] = [];
  const mgr = new StepperSyncManager();
  const ss = mgr.allocStepperSync((n, p) => dict.encodeCommand(n, p), (data) => {
    for (const m of dict.decodeMessages(data)) sent.push(dict.formatMessage(m));
  });
  ss.setupMoveQueue(500);
  ss.setTime(0, dict.clockFreq);
  const services: RailServices<McuEndstop> = {
    lookupPin: (desc) => {
      const p = pins.lookupPin(desc, { canInvert: true });
      return { mcu: mcu as StepperMcu, pin: p.pin, invert: !!p.invert };
    },
    allocateSyncEmitter: (_mcu, n) => ss.allocSyncEmitter(n),
    registerFlushCallback: () => {},
    unregisterFlushCallback: () => {},
    parseEndstopPin: (desc) => pins.parsePin(desc, true, true),
    setupEndstop: (desc) => {
      const p = pins.lookupPin(desc, { canInvert: true, canPullup: true, shareType: "endstop" });
      return new McuEndstop(mcu, { pin: p.pin, pullup: p.pullup, invert: p.invert });
    },
  };
  const config = PrinterConfig.fromText(cfgText);
  const trapq = new TrapQ();
  const toolhead = { trapq, getMaxVelocity: (): [number, number] => [500, 3000] };
  const env = { toolhead, config: config.getSection("printer"), sections: config, services };
  return { mcu, config, services, trapq, toolhead, mgr, ss, sent, outputPath, env };
}

