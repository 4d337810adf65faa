// A @serialport/bindings-interface binding for Linux that works under Bun (see linux-port.ts).
import type { BindingInterface, PortInfo } from "./bindings-types.ts";
import { LinuxSerialPort, type LinuxOpenOptions } from "./linux-port.ts";
import { listSerialPorts, type ListOptions } from "./list-ports.ts";

export type LinuxBindingInterface = BindingInterface<LinuxSerialPort, LinuxOpenOptions, PortInfo>;

export function createLinuxBinding(listOptions: ListOptions = {}): LinuxBindingInterface {
  return {
    list: async () => listSerialPorts(listOptions),
    open: (options) => LinuxSerialPort.open(options),
  };
}

export const LinuxBinding: LinuxBindingInterface = createLinuxBinding();
