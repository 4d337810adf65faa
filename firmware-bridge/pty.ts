// Serves a VirtualMcu on a pseudo-terminal (src/util/pty-server.ts: socat, re-opened after the
// host closes it, as a USB-serial MCU can be reconnected). Bytes on the line while no host is
// attached are lost, as on a disconnected serial line.
import { PtyServer as SocatPty } from "../src/util/pty-server.ts";
import type { VirtualMcu } from "./vmcu.ts";

export interface PtyServerOptions {
  path: string;
  socat?: string; // socat executable, default "socat" on PATH
  log?: (line: string) => void;
}

export class PtyServer {
  private readonly pty: SocatPty;

  constructor(mcu: VirtualMcu, opts: PtyServerOptions) {
    this.pty = new SocatPty({ ...opts, label: "pty" }, (chunk) => mcu.feed(chunk));
    mcu.onOutput((bytes) => this.pty.write(bytes));
  }

  /** Starts socat and resolves once the pty link exists. */
  start(): Promise<void> {
    return this.pty.start();
  }

  stop(): Promise<void> {
    return this.pty.stop();
  }
}
