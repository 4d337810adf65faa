// An in-process byte wire between a host Mcu and a VirtualMcu: bytes cross
// asynchronously (as through a stream), and the wire can be cut to simulate
// a lost port.
import type { VirtualMcu } from "../../firmware-bridge/index.ts";
import type { ByteWire } from "../../src/mcu/link.ts";

export interface CuttableWire extends ByteWire {
  /** The port goes away (USB unplugged): the host sees the stream end. */
  cut(): void;
  /** Bytes stop flowing both ways but the stream stays open (MCU hung). */
  silence(): void;
  /** Deliver raw bytes to the host as if they came from the MCU. */
  inject(bytes: Uint8Array): void;
}

export function vmcuWire(vmcu: VirtualMcu): CuttableWire {
  let open = true;
  let silent = false;
  let unsubscribe: (() => void) | null = null;
  let closeCb: ((err?: Error) => void) | null = null;
  let dataCb: ((chunk: Uint8Array) => void) | null = null;
  return {
    write(bytes) {
      if (!open || silent) return;
      const copy = bytes.slice();
      setTimeout(() => open && !silent && vmcu.feed(copy), 0);
    },
    start(onData, onClose) {
      closeCb = onClose;
      dataCb = onData;
      unsubscribe = vmcu.onOutput((b) => {
        if (!open || silent) return;
        const copy = b.slice();
        setTimeout(() => open && !silent && onData(copy), 0);
      });
    },
    async close() {
      open = false;
      unsubscribe?.();
    },
    cut() {
      open = false;
      unsubscribe?.();
      closeCb?.(new Error("port closed"));
    },
    silence() {
      silent = true;
    },
    inject(bytes) {
      dataCb?.(bytes);
    },
  };
}
