// Transports for the MCU link: real serial ports (and ptys) through our Bun-compatible binding, and
// an in-process pair for the built-in virtual MCU.
import type { ByteTransport } from "./byte-transport.ts";
import { LinuxSerialPort } from "./linux-port.ts";
import { portTransport } from "./port-transport.ts";
import { resolveSerialTarget } from "./serial-target.ts";

export { createStreamPair, type ByteTransport } from "./byte-transport.ts";
export { createLinuxBinding, LinuxBinding, type LinuxBindingInterface } from "./linux-binding.ts";
export { LinuxSerialPort, type LinuxOpenOptions } from "./linux-port.ts";
export { listSerialPorts } from "./list-ports.ts";
export { DEFAULT_BAUD, MIN_BAUD, resolveSerialTarget, type SerialTarget } from "./serial-target.ts";

/**
 * Opens a Klipper-style `serial:`/`baud:` target as a ByteTransport; rejects with a clear error.
 * HUPCL is cleared as Klipper does, so closing the port does not drop DTR (which resets
 * Arduino-style boards).
 */
export async function openSerialTransport(serial: string, baud?: number): Promise<ByteTransport> {
  const target = resolveSerialTarget(serial, baud);
  const port = await LinuxSerialPort.open({ path: target.device, baudRate: target.baud ?? 0, configureLine: target.baud !== null, hupcl: false });
  return portTransport(port, target.device);
}
