// What an [mcu] section's `serial:` and `baud:` name, following Klipper: a tty path such as
// /dev/serial/by-id/usb-Klipper_..., /dev/ttyAMA0, /dev/ttyACM0 or a pty (e.g. /tmp/printer), at
// `baud` (default 250000, at least 2400); /dev/rpmsg_* and /tmp/klipper_host_* are not UARTs and
// take no baud.
import { realpathSync, statSync } from "node:fs";
import { isAbsolute } from "node:path";

export const DEFAULT_BAUD = 250000;
export const MIN_BAUD = 2400;
const NON_UART_PREFIXES = ["/dev/rpmsg_", "/tmp/klipper_host_"];

export interface SerialTarget {
  /** The path as configured (kept for messages; by-id links are what users recognise). */
  configured: string;
  /** The character device it resolves to, symlinks followed (e.g. /dev/ttyACM0, /dev/pts/3). */
  device: string;
  /** Line rate to set; null for devices that are not UARTs (their line settings are left alone). */
  baud: number | null;
}

/** Resolves and checks a Klipper `serial:` value; throws an Error naming the value and the problem. */
export function resolveSerialTarget(serial: string, baud?: number): SerialTarget {
  if (typeof serial !== "string" || serial.trim() === "") throw new Error("serial: a device path is required (e.g. /dev/serial/by-id/usb-Klipper_...)");
  if (!isAbsolute(serial)) throw new Error(`serial: '${serial}' must be an absolute device path such as /dev/serial/by-id/usb-Klipper_... or /dev/ttyAMA0`);
  const isUart = !NON_UART_PREFIXES.some((p) => serial.startsWith(p));
  let rate: number | null = null;
  if (isUart) {
    rate = baud ?? DEFAULT_BAUD;
    if (!Number.isInteger(rate) || rate < MIN_BAUD) throw new Error(`baud: must be an integer of at least ${MIN_BAUD}, got ${rate} (for serial '${serial}')`);
  }
  let device: string;
  try {
    device = realpathSync(serial);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      const hint = serial.startsWith("/dev/serial/") ? " — is the board connected and powered? `ls /dev/serial/by-id/` lists the boards present" : "";
      throw new Error(`serial: device '${serial}' does not exist${hint}`);
    }
    throw new Error(`serial: cannot resolve '${serial}': ${(e as Error).message}`);
  }
  if (!statSync(device).isCharacterDevice()) throw new Error(`serial: '${serial}' (${device}) is not a character device`);
  return { configured: serial, device, baud: rate };
}
