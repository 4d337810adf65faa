// Serves a VirtualMcu on a pseudo-terminal (src/util/pty-server.ts, opened by this process; the
// host may close and reopen it, as a USB-serial MCU can be reconnected). Output while no host is
// attached waits in the pty (up to its buffer and 64 KiB here), then is dropped as on a dead line.
import { PtyServer as RawPty } from "../src/util/pty-server.ts";
import type { VirtualMcu } from "./vmcu.ts";

export interface PtyServerOptions {
  path: string;
  log?: (line: string) => void;
}

export class PtyServer {
  private readonly pty: RawPty;

  constructor(mcu: VirtualMcu, opts: PtyServerOptions) {
    this.pty = new RawPty({ ...opts, label: "pty" }, (chunk) => mcu.feed(chunk));
    mcu.onOutput((bytes) => this.pty.write(bytes));
  }

  /** Creates the pty and resolves once its link exists. */
  start(): Promise<void> {
    return this.pty.start();
  }

  stop(): Promise<void> {
    return this.pty.stop();
  }
}
