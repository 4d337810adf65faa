// The [mcu] / [mcu NAME] section module: reads the section's options once (as Klipper's mcu.py does)
// and asks the run mode to open the link (serial transport, virtual MCU, output file, or nothing).
import type { ConfigSection } from "./config/section.ts";
import { ConfigError } from "./config/errors.ts";

/** What an [mcu] section says about its link. */
export interface McuSectionOptions {
  /** MCU name: "mcu" for [mcu], NAME for [mcu NAME]. */
  name: string;
  /** Serial device, or null for a CAN bus MCU. */
  serial: string | null;
  canbusUuid: string | null;
  canbusInterface: string | null;
  /** Baud rate (serial MCUs other than the Linux host MCU and rpmsg). */
  baud: number | null;
  restartMethod: string | null;
}

/** How a run mode opens the MCU of one section; returns the printer object for it (also its pin chip). */
export type OpenMcuLink<P> = (options: McuSectionOptions, config: ConfigSection, printer: P) => unknown;

/** What the module needs of the printer (the Printer, said without importing it: no import cycle). */
export interface McuLinkHost<P> {
  readonly openMcuLink: OpenMcuLink<P> | undefined;
}

/** Name of the MCU of an [mcu ...] section ("mcu" for the unnamed one). */
export function mcuName(section: string): string {
  return section === "mcu" ? "mcu" : section.slice(4).trim();
}

/** Read an [mcu] section's options (Klipper's: baud and restart_method only for real serial ports). */
export function readMcuSection(config: ConfigSection): McuSectionOptions {
  const options: McuSectionOptions = {
    name: mcuName(config.getName()), serial: null, canbusUuid: config.get("canbus_uuid", null), canbusInterface: null, baud: null, restartMethod: null,
  };
  if (options.canbusUuid !== null) {
    options.canbusInterface = config.get("canbus_interface", "can0");
    return options;
  }
  options.serial = config.get("serial");
  if (!options.serial.startsWith("/dev/rpmsg_") && !options.serial.startsWith("/tmp/klipper_host_")) {
    options.baud = config.getInt("baud", 250000, { minval: 2400 });
    options.restartMethod = config.getChoice("restart_method", ["arduino", "cheetah", "command", "rpi_usb"], null);
  }
  return options;
}

/** The [mcu] module; core/printer.ts registers it (stage "mcu": built before every other section). */
export function buildMcuSection<P extends McuLinkHost<P>>(config: ConfigSection, printer: P): unknown {
  const options = readMcuSection(config);
  if (!printer.openMcuLink) throw new ConfigError(`no way to open MCU '${options.name}' in this run mode`);
  return printer.openMcuLink(options, config, printer);
}
