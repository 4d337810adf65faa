// Serves a VirtualMcu on a pseudo-terminal through socat: socat creates the pty (and a symlink
// at the requested path, in raw mode without echo) and relays it to its stdin/stdout, which are
// pipes to this process. When the host closes the pty socat exits; it is started again so the
// host can reconnect (a new pty behind the same path), as it can with a USB-serial MCU.

import { existsSync, lstatSync, unlinkSync } from "node:fs";
import type { Subprocess } from "bun";
import type { VirtualMcu } from "./vmcu.ts";

export interface PtyServerOptions {
  path: string;
  socat?: string; // socat executable, default "socat" on PATH
  log?: (line: string) => void;
}

export class PtyServer {
  private proc: Subprocess<"pipe", "pipe", "pipe"> | null = null;
  private stopped = false;
  private readonly log: (line: string) => void;

  constructor(private readonly mcu: VirtualMcu, private readonly opts: PtyServerOptions) {
    this.log = opts.log ?? (() => {});
    mcu.onOutput((bytes) => {
      const stdin = this.proc?.stdin;
      if (!stdin) return; // no host attached: bytes on a disconnected serial line are lost
      try {
        stdin.write(bytes);
        stdin.flush();
      } catch {
        // socat went away between exit and restart; the restart picks up from here
      }
    });
  }

  /** Starts socat and resolves once the pty link exists. */
  async start(): Promise<void> {
    this.refuseForeignPath();
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
    this.removeLink();
  }

  private async spawn(): Promise<void> {
    const socat = this.opts.socat ?? "socat";
    let proc: Subprocess<"pipe", "pipe", "pipe">;
    try {
      proc = Bun.spawn([socat, `pty,link=${this.opts.path},raw,echo=0`, "STDIO"], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    } catch (e) {
      throw new Error(`cannot run '${socat}' (needed for --pty; install socat): ${(e as Error).message}`);
    }
    this.proc = proc;
    void this.pumpInput(proc);
    void proc.exited.then((code) => this.onExit(proc, code));
    const deadline = Date.now() + 5000;
    while (!existsSync(this.opts.path)) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        const err = await new Response(proc.stderr).text();
        throw new Error(`socat did not create the pty at ${this.opts.path}${err ? `: ${err.trim()}` : ""}`);
      }
      await Bun.sleep(10);
    }
  }

  private async pumpInput(proc: Subprocess<"pipe", "pipe", "pipe">): Promise<void> {
    for await (const chunk of proc.stdout) this.mcu.feed(chunk);
  }

  private onExit(proc: Subprocess<"pipe", "pipe", "pipe">, code: number): void {
    if (this.stopped || this.proc !== proc) return;
    this.proc = null;
    this.log(`socat exited (code ${code}); host disconnected, re-opening ${this.opts.path}`);
    this.respawn();
  }

  private respawn(): void {
    if (this.stopped) return;
    this.spawn().catch((e) => {
      this.log(`${(e as Error).message}; retrying in 1 s`);
      setTimeout(() => this.respawn(), 1000);
    });
  }

  /** Only a stale symlink may be replaced: never clobber a real file at the requested path. */
  private refuseForeignPath(): void {
    let st;
    try {
      st = lstatSync(this.opts.path);
    } catch {
      return;
    }
    if (!st.isSymbolicLink()) throw new Error(`${this.opts.path} exists and is not a symlink; refusing to replace it`);
  }

  private removeLink(): void {
    try {
      if (lstatSync(this.opts.path).isSymbolicLink()) unlinkSync(this.opts.path);
    } catch {
      // already gone
    }
  }
}
