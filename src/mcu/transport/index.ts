// Transports for the MCU link: real serial ports (and ptys) through our Bun-compatible binding, and
// an in-process pair for the built-in virtual MCU.
import { SerialPortStream } from "@serialport/stream";
import { serialPortTransport, type ByteTransport } from "./byte-transport.ts";
import { LinuxBinding, type LinuxBindingInterface } from "./linux-binding.ts";
import { resolveSerialTarget } from "./serial-target.ts";

export { createStreamPair, serialPortTransport, type ByteTransport } from "./byte-transport.ts";
export { createLinuxBinding, LinuxBinding, type LinuxBindingInterface } from "./linux-binding.ts";
export { LinuxSerialPort, type LinuxOpenOptions } from "./linux-port.ts";
export { listSerialPorts } from "./list-ports.ts";
export { DEFAULT_BAUD, MIN_BAUD, resolveSerialTarget, type SerialTarget } from "./serial-target.ts";

/** A SerialPortStream on `path` at `baud` (opens right away; errors arrive as 'error' events). */
export function openSerialPort(path: string, baud: number): SerialPortStream<LinuxBindingInterface> {
  return new SerialPortStream({ binding: LinuxBinding, path, baudRate: baud });
}

/**
 * Opens a Klipper-style `serial:`/`baud:` target as a ByteTransport; rejects with a clear error.
 * HUPCL is cleared as Klipper does, so closing the port does not drop DTR (which resets
 * Arduino-style boards).
 */
export async function openSerialTransport(serial: string, baud?: number): Promise<ByteTransport> {
  const target = resolveSerialTarget(serial, baud);
  const port = new SerialPortStream({
    binding: LinuxBinding, path: target.device, baudRate: target.baud ?? 0, configureLine: target.baud !== null, hupcl: false, autoOpen: false,
  });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return serialPortTransport(port);
}
