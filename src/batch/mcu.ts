// MCUs of a batch run: one per [mcu] / [mcu NAME] section, each writing its
// command stream to a file (out.serial, out.serial-NAME) against the data
// dictionary given on the command line. The batch Mcu is also the pin chip of
// its pins (endstops, outputs, ADCs).
import { readFileSync } from "node:fs";
import type { ConfigSection } from "../core/config/section.ts";
import { ConfigError } from "../core/config/errors.ts";
import { setupMcuPin } from "../core/mcu-pins/pin-setup.ts";
import type { PinChip, PinParams, PinType } from "../core/pins.ts";
import type { Printer } from "../core/printer.ts";
import { Mcu, type McuLogger } from "../mcu/mcu.ts";
import { DataDictionary } from "../protocol/index.ts";
import { lookupMotionQueuing } from "../motion/toolhead-module.ts";

export class BatchMcu extends Mcu implements PinChip {
  setupPin(pinType: PinType, params: PinParams): unknown {
    return setupMcuPin(this, pinType, params);
  }
}

/** Where each MCU's dictionary and output go. */
export interface BatchMcuFiles {
  /** Output file of the main MCU; others get "-NAME" appended. */
  output: string;
  /** Dictionary path per MCU name ("mcu" for the main one). */
  dicts: Record<string, string>;
}

function loadDict(path: string): DataDictionary {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`cannot read data dictionary '${path}': ${(e as Error).message}`);
  }
  try {
    return DataDictionary.fromJson(text);
  } catch (e) {
    throw new Error(`data dictionary '${path}' is not valid: ${(e as Error).message}`);
  }
}

/** Build the MCU of one [mcu ...] section (reads the options Klipper reads). */
export function buildBatchMcu(config: ConfigSection, printer: Printer, files: BatchMcuFiles, log: McuLogger): BatchMcu {
  const section = config.getName();
  const name = section === "mcu" ? "mcu" : section.slice(4).trim();
  const canbusUuid = config.get("canbus_uuid", null);
  if (canbusUuid !== null) config.get("canbus_interface", "can0");
  else {
    const serial = config.get("serial");
    if (!serial.startsWith("/dev/rpmsg_") && !serial.startsWith("/tmp/klipper_host_")) {
      config.getInt("baud", 250000, { minval: 2400 });
      config.getChoice("restart_method", [null as unknown as string, "arduino", "cheetah", "command", "rpi_usb"], null as unknown as string);
    }
  }
  const dictPath = files.dicts[name];
  if (dictPath === undefined) throw new ConfigError(`no data dictionary for MCU '${name}' (use -d ${name === "mcu" ? "" : `${name}=`}DICT)`);
  const output = name === "mcu" ? files.output : `${files.output}-${name}`;
  const mcu = new BatchMcu(name, { batch: { dict: loadDict(dictPath), outputPath: output }, log });
  printer.pins.registerChip(name, mcu);
  printer.registerEventHandler("klippy:connect", async () => {
    await mcu.connect();
    lookupMotionQueuing(printer).setupMcuMovequeue(mcu, mcu.moveCount);
  });
  return mcu;
}
