// The MCU link's ByteTransport over an open tty (LinuxSerialPort): chunks go straight from Bun's
// reader to the listeners, and writes go to write(2) at once when nothing is queued before them.
import { CloseSignal, type ByteTransport } from "./byte-transport.ts";
import type { LinuxSerialPort } from "./linux-port.ts";
import { runDueDeferrables } from "../../util/deferrable-timers.ts";

export function portTransport(port: LinuxSerialPort, path: string): ByteTransport {
  const closed = new CloseSignal();
  const listeners: ((chunk: Uint8Array) => void)[] = [];
  let reading = false;
  // A failed read or write loses the port: listeners hear why, and the fd is released.
  const lose = (err: Error) => {
    if (closed.closed) return;
    closed.fire(err);
    if (port.isOpen) port.close().catch(() => {}); // already failing: nothing more to report
  };
  return {
    write(data) {
      if (closed.closed || !port.isOpen) throw new Error(`cannot write: serial port ${path} is closed`);
      let rest: Promise<void> | null;
      try {
        rest = port.sendNow(data);
      } catch (e) {
        lose(e as Error);
        return;
      }
      rest?.catch(lose);
    },
    onData(cb) {
      listeners.push(cb);
      if (reading) return;
      // Read once someone listens; until then bytes wait in the tty's buffer
      reading = true;
      port.pump((chunk) => {
        for (const l of listeners) l(chunk);
        // Awake anyway: due housekeeping runs now rather than waking the process again
        runDueDeferrables();
      }).then(() => closed.fire(), lose);
    },
    onClose(cb) {
      closed.add(cb);
    },
    async close() {
      if (!port.isOpen) return;
      closed.fire();
      await port.close();
    },
  };
}
