// The printer's G-code pseudo-terminal, like Klipper's /tmp/printer: OctoPrint or a serial
// terminal opens it and sends G-code lines; replies ("ok", "// info", "!! error") come back on it.
//
// socat makes the pty (a symlink at the requested path to /dev/pts/N, raw, no echo) and relays
// it to its stdin/stdout, which are pipes to this process: no native pty code, and a crashed or
// closed client cannot hurt the printer. The pty outlives its clients (the next one opens the same
// path); should socat itself end, it is started again behind the same path.
import { lstatSync, unlinkSync } from "node:fs";
import type { Subprocess } from "bun";
import { GCodeInput } from "./gcode/input.ts";
import type { Printer } from "./printer.ts";

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
  private proc: Subprocess<"pipe", "pipe", "pipe"> | null = null;
  private stopped = false;
  /** The link at `path` is ours (made by our socat), so ours to remove. */
  private ownsLink = false;
  private input: GCodeInput;
  private readonly decoder = new TextDecoder();
  private readonly log: (line: string) => void;
  private readonly detachOutput: () => void;

  constructor(private readonly host: GCodeTerminalHost, private readonly opts: GCodePtyOptions = {}) {
    this.path = opts.path ?? DEFAULT_GCODE_PTY;
    this.log = opts.log ?? (() => {});
    this.input = new GCodeInput(host.printer.gcode);
    host.onInstance((p) => (this.input = new GCodeInput(p.gcode)));
    this.detachOutput = host.onOutput((line) => this.write(`${line}\n`));
  }

  /** Create the pty; resolves once the path exists. */
  async start(): Promise<void> {
    refuseForeignPath(this.path);
    await this.spawn();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.detachOutput();
    const p = this.proc;
    this.proc = null;
    if (p) {
      p.kill();
      await p.exited;
    }
    if (this.ownsLink) removeLink(this.path);
  }

  private write(text: string): void {
    const stdin = this.proc?.stdin;
    if (!stdin) return; // nobody listening: replies are dropped, as on a closed terminal
    try {
      stdin.write(text);
      stdin.flush();
    } catch {
      // socat is restarting
    }
  }

  private async spawn(): Promise<void> {
    const socat = this.opts.socat ?? "socat";
    let proc: Subprocess<"pipe", "pipe", "pipe">;
    try {
      proc = Bun.spawn([socat, `pty,link=${this.path},raw,echo=0`, "STDIO"], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    } catch (e) {
      throw new Error(`cannot run '${socat}' for the G-code pty ${this.path} (install socat): ${(e as Error).message}`);
    }
    this.proc = proc;
    void this.pump(proc);
    void proc.exited.then((code) => this.onExit(proc, code));
    const deadline = Date.now() + 5000;
    while (!linkExists(this.path)) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        const err = await new Response(proc.stderr).text();
        throw new Error(`socat did not create the G-code pty at ${this.path}${err ? `: ${err.trim()}` : ""}`);
      }
      await Bun.sleep(10);
    }
    this.ownsLink = true;
  }

  private async pump(proc: Subprocess<"pipe", "pipe", "pipe">): Promise<void> {
    for await (const chunk of proc.stdout) {
      // Lines run in order; M112 acts at once (GCodeInput). Replies go out through onOutput.
      void this.input.feed(this.decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, "\n"));
    }
  }

  private onExit(proc: Subprocess<"pipe", "pipe", "pipe">, code: number): void {
    if (this.stopped || this.proc !== proc) return;
    this.proc = null;
    this.log(`socat for the G-code pty exited (code ${code}); re-opening ${this.path}`);
    removeLink(this.path); // the next link must be the new pty's
    this.respawn();
  }

  private respawn(): void {
    if (this.stopped) return;
    this.spawn().catch((e) => {
      this.log(`${(e as Error).message}; retrying in 1 s`);
      setTimeout(() => this.respawn(), 1000);
    });
  }
}

function linkExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * A symlink at the path is replaced, as Klipper does (a stale one after a crash cannot be told
 * from a live one reliably: pty numbers are reused); never clobber a real file.
 */
function refuseForeignPath(path: string): void {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSymbolicLink()) throw new Error(`${path} exists and is not a symlink; refusing to replace it`);
  unlinkSync(path);
}

function removeLink(path: string): void {
  try {
    if (lstatSync(path).isSymbolicLink()) unlinkSync(path);
  } catch {
    // already gone
  }
}
