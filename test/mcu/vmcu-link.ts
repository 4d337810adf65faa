// The built-in way to reach the virtual MCU: an in-process stream pair, with
// a host end the tests can cut (port gone), silence (MCU hung) or inject raw
// bytes into (noise from the wire).
import { VirtualMcu } from "../../firmware-bridge/index.ts";
import { type ByteTransport, createStreamPair } from "../../src/mcu/transport/index.ts";

export interface ControlledTransport extends ByteTransport {
  /** The port goes away (USB unplugged): the host sees the stream end. */
  cut(): void;
  /** Bytes stop flowing both ways but the stream stays open (MCU hung). */
  silence(): void;
  /** Deliver raw bytes to the host as if they came from the MCU. */
  inject(bytes: Uint8Array): void;
}

export function vmcuLink(vmcu: VirtualMcu): ControlledTransport {
  const [host, mcuEnd] = createStreamPair();
  vmcu.attach(mcuEnd);
  let silent = false;
  const listeners: ((chunk: Uint8Array) => void)[] = [];
  return {
    write(data) {
      if (!silent) host.write(data);
    },
    onData(cb) {
      listeners.push(cb);
      host.onData((chunk) => !silent && cb(chunk));
    },
    onClose: (cb) => host.onClose(cb),
    close: () => host.close(),
    cut() {
      void host.close();
    },
    silence() {
      silent = true;
    },
    inject(bytes) {
      for (const cb of listeners) cb(bytes);
    },
  };
}
