// A pseudo-terminal served through socat. Leaf utility with no printer knowledge (like
// src/protocol): both the G-code terminal (src/live/gcode-pty.ts) and the standalone virtual MCU
// (firmware-bridge/pty.ts) use it, so it imports nothing from either.
//
// socat makes the pty (a symlink at the requested path to /dev/pts/N, raw, no echo) and relays it
// to its stdin/stdout, which are pipes to this process: no native pty code, and a crashed or closed
// client cannot hurt the server. When socat ends (its client closed the pty) it is started again
// behind the same path, so the next client can open it, as with a USB-serial device.
import { lstatSync, unlinkSync } from "node:fs";
import type { Subprocess } from "bun";

export interface PtyServerOptions {
  /** Path of the pty symlink. */
  path: string;
  /** What the pty is, for messages ("G-code pty", "pty"). */
  label: string;
  /** socat executable (default "socat" on PATH). */
  socat?: string;
  log?: (line: string) => void;
}

type Socat = Subprocess<"pipe", "pipe", "pipe">;

export class PtyServer {
  readonly path: string;
  private proc: Socat | null = null;
  private stopped = false;
  /** The link at `path` is ours (made by our socat), so ours to remove. */
  private ownsLink = false;
  private readonly log: (line: string) => void;

  /** `onData` gets every chunk a client writes to the pty. */
  constructor(private readonly opts: PtyServerOptions, private readonly onData: (chunk: Uint8Array) => void) {
    this.path = opts.path;
    this.log = opts.log ?? (() => {});
  }

  /** Create the pty; resolves once the path exists. */
  async start(): Promise<void> {
    refuseForeignPath(this.path);
    await this.spawn();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const p = this.proc;
    this.proc = null;
    if (p) {
      p.kill();
      await p.exited;
    }
    if (this.ownsLink) removeLink(this.path);
  }

  /** Send to the client; dropped when none is attached (as on a disconnected serial line). */
  write(data: string | Uint8Array): void {
    const stdin = this.proc?.stdin;
    if (!stdin) return;
    try {
      stdin.write(data);
      stdin.flush();
    } catch {
      // socat went away between exit and restart; the restart picks up from here
    }
  }

  private async spawn(): Promise<void> {
    const socat = this.opts.socat ?? "socat";
    let proc: Socat;
    try {
      proc = Bun.spawn([socat, `pty,link=${this.path},raw,echo=0`, "STDIO"], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    } catch (e) {
      throw new Error(`cannot run '${socat}' for the ${this.opts.label} ${this.path} (install socat): ${(e as Error).message}`);
    }
    this.proc = proc;
    void this.pump(proc);
    void proc.exited.then((code) => this.onExit(proc, code));
    const deadline = Date.now() + 5000;
    while (!linkExists(this.path)) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        const err = await new Response(proc.stderr).text();
        throw new Error(`socat did not create the ${this.opts.label} at ${this.path}${err ? `: ${err.trim()}` : ""}`);
      }
      await Bun.sleep(10);
    }
    this.ownsLink = true;
  }

  private async pump(proc: Socat): Promise<void> {
    for await (const chunk of proc.stdout) this.onData(chunk);
  }

  private onExit(proc: Socat, code: number): void {
    if (this.stopped || this.proc !== proc) return;
    this.proc = null;
    this.log(`socat for the ${this.opts.label} exited (code ${code}); re-opening ${this.path}`);
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
