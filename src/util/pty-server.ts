// A pseudo-terminal that this process opens itself (posix_openpt through bun:ffi; no socat or other
// helper installed beside the binary). Leaf utility with no printer knowledge (like src/protocol): both
// the G-code terminal (src/live/gcode-pty.ts) and the standalone virtual MCU (firmware-bridge/pty.ts)
// use it, so it imports nothing from either.
//
// The slave side is linked at the requested path (→ /dev/pts/N), raw, no echo. This process keeps its
// own slave descriptor open, as Klipper does, so clients may close and reopen the path as they would a
// USB-serial device without the master ever seeing a hang-up. The master is non-blocking and read by
// Bun's event loop (epoll), so an idle pty costs no CPU. A lock file next to the link (PATH.lock, flock
// held while running) tells a live instance's link from one left by a crash.
import { closeSync, lstatSync, readlinkSync, renameSync, symlinkSync, unlinkSync } from "node:fs";
import { takeLock } from "./lock-file.ts";
import { EAGAIN, EINTR, errno, O_CLOEXEC, O_NOCTTY, O_NONBLOCK, O_RDWR, cPath, sys, sysError, TCSANOW } from "./libc.ts";

export interface PtyServerOptions {
  /** Path of the pty symlink. */
  path: string;
  /** What the pty is, for messages ("G-code pty", "pty"). */
  label: string;
  log?: (line: string) => void;
}

// glibc's struct termios is 60 bytes on x86_64 and aarch64; cfmakeraw fills in the raw flags.
const TERMIOS_SIZE = 64;
const PTSNAME_MAX = 128;
// Output nobody reads (no client attached) is held up to this much, then dropped as on a dead line.
const MAX_PENDING_BYTES = 64 * 1024;
const WRITE_RETRY_MS = 5;

function openReader(fd: number) {
  return Bun.file(fd).stream().getReader();
}
type Reader = ReturnType<typeof openReader>;

export class PtyServer {
  readonly path: string;
  private master = -1;
  private slave = -1;
  private lockFd = -1;
  private ptsName = "";
  private reader: Reader | null = null;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private readonly log: (line: string) => void;

  /** `onData` gets every chunk a client writes to the pty. */
  constructor(private readonly opts: PtyServerOptions, private readonly onData: (chunk: Uint8Array) => void) {
    this.path = opts.path;
    this.log = opts.log ?? (() => {});
  }

  /** Create the pty and its link; resolves once the path exists. */
  async start(): Promise<void> {
    refuseForeignPath(this.path);
    this.lockFd = lockPty(this.path, this.opts.label);
    try {
      this.openPair();
      replaceLink(this.ptsName, this.path);
    } catch (e) {
      this.release();
      throw e;
    }
    void this.pump(openReader(this.master));
  }

  async stop(): Promise<void> {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.pending = [];
    this.pendingBytes = 0;
    const reader = this.reader;
    this.reader = null;
    // Cancelling unregisters the master from Bun's poller before its descriptor is closed.
    if (reader) await reader.cancel().catch(() => {});
    if (this.ptsName && linkTarget(this.path) === this.ptsName) unlinkSync(this.path);
    this.release();
  }

  /** Send to the client; held briefly, then dropped, when none is reading (as on a disconnected line). */
  write(data: string | Uint8Array): void {
    if (this.master < 0) return;
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    if (bytes.length === 0) return;
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    while (this.pendingBytes > MAX_PENDING_BYTES && this.pending.length > 1) this.pendingBytes -= this.pending.shift()!.length;
    if (!this.retry) this.flush();
  }

  private flush(): void {
    this.retry = null;
    while (this.pending.length > 0 && this.master >= 0) {
      const chunk = this.pending[0]!;
      const n = Number(sys().write(this.master, chunk, chunk.length));
      if (n > 0) {
        this.pendingBytes -= n;
        if (n < chunk.length) this.pending[0] = chunk.subarray(n);
        else this.pending.shift();
        continue;
      }
      const err = n === 0 ? EAGAIN : errno();
      if (err === EINTR) continue;
      if (err === EAGAIN) {
        // The client's input buffer is full (or nobody reads it): try again shortly
        this.retry = setTimeout(() => this.flush(), WRITE_RETRY_MS);
        return;
      }
      this.log(`${this.opts.label} ${this.path}: write failed: ${sysError("write", "write", err).message}; output dropped`);
      this.pending = [];
      this.pendingBytes = 0;
      return;
    }
  }

  private async pump(reader: Reader): Promise<void> {
    this.reader = reader;
    try {
      for (;;) {
        const r = await reader.read();
        if (r.done || this.reader !== reader) break;
        if (r.value.length > 0) this.onData(r.value);
      }
    } catch (e) {
      if (this.reader === reader) this.log(`${this.opts.label} ${this.path}: read failed: ${(e as Error).message}`);
    }
  }

  /** posix_openpt, grantpt, unlockpt, ptsname; opens the slave and makes it raw. */
  private openPair(): void {
    const c = sys();
    const what = `cannot create the ${this.opts.label} ${this.path}`;
    this.master = c.posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (this.master < 0) throw sysError(what, "posix_openpt", errno());
    if (c.grantpt(this.master) !== 0) throw sysError(what, "grantpt", errno());
    if (c.unlockpt(this.master) !== 0) throw sysError(what, "unlockpt", errno());
    const name = new Uint8Array(PTSNAME_MAX);
    const err = c.ptsname_r(this.master, name, name.length);
    if (err !== 0) throw sysError(what, "ptsname_r", err);
    this.ptsName = new TextDecoder().decode(name.subarray(0, name.indexOf(0)));
    this.slave = c.open(cPath(this.ptsName), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (this.slave < 0) throw sysError(`${what}: cannot open ${this.ptsName}`, "open", errno(), this.ptsName);
    const t = new Uint8Array(TERMIOS_SIZE);
    if (c.tcgetattr(this.slave, t) !== 0) throw sysError(what, "tcgetattr", errno());
    c.cfmakeraw(t);
    if (c.tcsetattr(this.slave, TCSANOW, t) !== 0) throw sysError(what, "tcsetattr", errno());
  }

  private release(): void {
    const c = sys();
    if (this.slave >= 0) c.close(this.slave);
    if (this.master >= 0) c.close(this.master);
    this.slave = this.master = -1;
    this.ptsName = "";
    if (this.lockFd >= 0) {
      // Unlink while still holding the lock, so a waiting instance never locks a file about to vanish
      removeFile(lockPath(this.path));
      closeSync(this.lockFd);
      this.lockFd = -1;
    }
  }
}

function lockPath(path: string): string {
  return `${path}.lock`;
}

/**
 * flock on PATH.lock for as long as the pty runs: a second instance asking for the same path is
 * refused while the first one lives, and finds the lock free after a crash.
 */
function lockPty(path: string, label: string): number {
  return takeLock(lockPath(path), (pid) => `${path} is the ${label} of another running Stepline${pid !== null ? ` (pid ${pid})` : ""}; stop it or choose another path`);
}

/** A symlink at the path is replaced (its owner is gone: takeLock got the lock); never a real file. */
function refuseForeignPath(path: string): void {
  try {
    if (!lstatSync(path).isSymbolicLink()) throw new Error(`${path} exists and is not a symlink; refusing to replace it`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}

/** Points path at target in one step (a temporary link renamed over it), replacing a stale link. */
function replaceLink(target: string, path: string): void {
  const tmp = `${path}.${process.pid}.new`;
  removeFile(tmp);
  symlinkSync(target, tmp);
  try {
    renameSync(tmp, path);
  } catch (e) {
    removeFile(tmp);
    throw e;
  }
}

function linkTarget(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}
