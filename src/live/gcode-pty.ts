// The printer's G-code pseudo-terminal, like Klipper's /tmp/printer: OctoPrint or a serial
// terminal opens it and sends G-code lines; replies ("ok", "// info", "!! error") come back on it.
//
// socat makes the pty (a symlink at the requested path to /dev/pts/N, raw, no echo) and relays
// it to its stdin/stdout, which are pipes to this process: no native pty code, and a crashed or
// closed client cannot hurt the printer. The pty outlives its clients (the next one opens the same
// path); should socat itself end, it is started again behind the same path.
import { PtyServer } from "../util/pty-server.ts";
import { GCodeInput } from "../core/gcode/input.ts";
import type { Printer } from "../core/printer.ts";

export const DEFAULT_GCODE_PTY = "/tmp/printer";

/** Where G-code goes and where replies come from (a LivePrinter). */
export interface GCodeTerminalHost {
  readonly printer: Printer;
  onOutput(cb: (line: string) => void): () => void;
  onInstance(cb: (p: Printer) => void): void;
}

export interface GCodePtyOptions {
  /** Path of the pty symlink (default /tmp/printer). */
  path?: string;
  /** socat executable (default "socat" on PATH). */
  socat?: string;
  log?: (line: string) => void;
}

export class GCodePty {
  readonly path: string;
  private readonly pty: PtyServer;
  private input: GCodeInput;
  private readonly decoder = new TextDecoder();
  private readonly detachOutput: () => void;

  constructor(host: GCodeTerminalHost, opts: GCodePtyOptions = {}) {
    this.path = opts.path ?? DEFAULT_GCODE_PTY;
    this.pty = new PtyServer({ path: this.path, label: "G-code pty", socat: opts.socat, log: opts.log }, (chunk) => {
      // Lines run in order; M112 acts at once (GCodeInput). Replies go out through onOutput.
      void this.input.feed(this.decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, "\n"));
    });
    this.input = new GCodeInput(host.printer.gcode);
    host.onInstance((p) => (this.input = new GCodeInput(p.gcode)));
    // Nobody listening: replies are dropped, as on a closed terminal
    this.detachOutput = host.onOutput((line) => this.pty.write(`${line}\n`));
  }

  /** Create the pty; resolves once the path exists. */
  start(): Promise<void> {
    return this.pty.start();
  }

  async stop(): Promise<void> {
    this.detachOutput();
    await this.pty.stop();
  }
}
