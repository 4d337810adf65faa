// Serial ports the way Klipper users name them: the stable /dev/serial/by-id/* links udev creates for
// USB serial devices, with USB metadata from sysfs where the kernel provides it.
import type { PortInfo } from "./bindings-types.ts";
import { readdirSync, readFileSync, realpathSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export interface ListOptions {
  byIdDir?: string;  // default /dev/serial/by-id
  sysTtyDir?: string; // default /sys/class/tty
}

const USB_ATTR_SEARCH_DEPTH = 4;

export function listSerialPorts(opts: ListOptions = {}): PortInfo[] {
  const byIdDir = opts.byIdDir ?? "/dev/serial/by-id";
  const sysTtyDir = opts.sysTtyDir ?? "/sys/class/tty";
  let names: string[];
  try {
    names = readdirSync(byIdDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return []; // udev makes it only while a USB serial device is present
    throw new Error(`cannot list serial ports in ${byIdDir}: ${(e as Error).message}`);
  }
  const ports: PortInfo[] = [];
  for (const name of names.sort()) {
    const path = join(byIdDir, name);
    let device: string;
    try {
      device = realpathSync(path);
    } catch {
      continue; // a dangling link: the device vanished while we were listing
    }
    const usb = usbAttributes(join(sysTtyDir, basename(device), "device"));
    ports.push({
      path,
      manufacturer: usb?.manufacturer,
      serialNumber: usb?.serial,
      pnpId: name,
      locationId: usb?.location,
      vendorId: usb?.idVendor,
      productId: usb?.idProduct,
    });
  }
  return ports;
}

interface UsbAttributes { idVendor?: string; idProduct?: string; manufacturer?: string; serial?: string; location: string }

/** Walks up from the tty's sysfs device to the USB device node that has idVendor. */
function usbAttributes(ttyDevice: string): UsbAttributes | null {
  let dir: string;
  try {
    dir = realpathSync(ttyDevice);
  } catch {
    return null; // ptys and other virtual ttys have no device
  }
  for (let i = 0; i < USB_ATTR_SEARCH_DEPTH; i++, dir = dirname(dir)) {
    const idVendor = attr(dir, "idVendor");
    if (idVendor === undefined) continue;
    return { idVendor, idProduct: attr(dir, "idProduct"), manufacturer: attr(dir, "manufacturer"), serial: attr(dir, "serial"), location: basename(dir) };
  }
  return null;
}

function attr(dir: string, name: string): string | undefined {
  try {
    return readFileSync(join(dir, name), "utf8").trim();
  } catch {
    return undefined;
  }
}
