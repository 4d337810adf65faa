// A printer-like rig for motion tests: a real batch Mcu (atmega2560 dictionary), real pins,
// real endstops and a step sync whose commands are decoded with the real dictionary.
import { SHARED_REFERENCE, loadDict } from "../support/reference.ts";
import { PrinterConfig } from "../../src/core/config/index.ts";
import { PrinterPins } from "../../src/core/pins.ts";
import { Mcu } from "../../src/mcu/mcu.ts";
import { McuEndstop } from "../../src/core/mcu-pins/mcu-endstop.ts";
import { StepperSyncManager } from "../../src/motion/steppersync.ts";
import { TrapQ } from "../../src/motion/trapq.ts";
import type { StepperMcu } from "../../src/motion/stepper.ts";
import type { RailServices } from "../../src/motion/rail.ts";

export const REF = `${SHARED_REFERENCE}/klipper`;
export const dict = loadDict("atmega2560.dict");
const quiet = { info: () => {}, warn: () => {} };

/** Printer-like services for motion tests; `extraMcus` adds more batch MCUs ("extboard"). */
export function printerRig(cfgText: string, outputPath: string, extraMcus: string[] = []) {
  const pins = new PrinterPins();
  const sent: string[] = [];
  const mgr = new StepperSyncManager();
  const mcus = new Map<string, { mcu: Mcu; ss: ReturnType<StepperSyncManager["allocStepperSync"]> }>();
  for (const name of ["mcu", ...extraMcus]) {
    const mcu = new Mcu(name, { batch: { dict, outputPath: name === "mcu" ? outputPath : `${outputPath}-${name}` }, log: quiet });
    pins.registerChip(name, { setupPin: () => null, dict });
    const ss = mgr.allocStepperSync((n, p) => dict.encodeCommand(n, p), (data) => {
      for (const m of dict.decodeMessages(data)) sent.push((name === "mcu" ? "" : `${name}: `) + dict.formatMessage(m));
    });
    ss.setupMoveQueue(500);
    ss.setTime(0, dict.clockFreq);
    mcus.set(name, { mcu, ss });
  }
  const mcuOf = (chipName: string) => mcus.get(chipName)!.mcu;
  const services: RailServices<McuEndstop> = {
    lookupPin: (desc) => {
      const p = pins.lookupPin(desc, { canInvert: true });
      return { mcu: mcuOf(p.chipName) as StepperMcu, pin: p.pin, invert: !!p.invert };
    },
    allocateSyncEmitter: (mcu, n) => mcus.get(mcu.name)!.ss.allocSyncEmitter(n),
    registerFlushCallback: () => {},
    unregisterFlushCallback: () => {},
    parseEndstopPin: (desc) => pins.parsePin(desc, true, true),
    setupEndstop: (desc) => {
      const p = pins.lookupPin(desc, { canInvert: true, canPullup: true, shareType: "endstop" });
      return new McuEndstop(mcuOf(p.chipName), { pin: p.pin, pullup: p.pullup, invert: p.invert });
    },
  };
  const config = PrinterConfig.fromText(cfgText);
  const trapq = new TrapQ();
  const toolhead = { trapq, getMaxVelocity: (): [number, number] => [500, 3000] };
  const env = { toolhead, config: config.getSection("printer"), sections: config, services };
  const mcu = mcuOf("mcu");
  return { mcu, mcus, config, services, trapq, toolhead, mgr, sent, outputPath, env };
}
