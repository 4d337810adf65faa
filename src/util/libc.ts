// The few libc calls serial ports and pseudo-terminals need, through bun:ffi: the stock serialport
// addon aborts under Bun (it needs libuv's uv_poll) and Bun has no pty API, so both talk to the kernel
// directly. Linux with glibc (as the Bun executables we build are).
import { dlopen, FFIType, ptr, read, type Library } from "bun:ffi";
import { constants } from "node:os";

const SYMBOLS = {
  open: { args: [FFIType.cstring, FFIType.i32], returns: FFIType.i32 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  write: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64_fast },
  // ioctl and fcntl are variadic in C; on x86_64 and aarch64 Linux a trailing pointer/int argument is
  // passed exactly like a fixed one, so a fixed three-argument signature is sound.
  ioctl: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
  flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  tcflush: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  // pseudo-terminals (src/util/pty-server.ts)
  posix_openpt: { args: [FFIType.i32], returns: FFIType.i32 },
  grantpt: { args: [FFIType.i32], returns: FFIType.i32 },
  unlockpt: { args: [FFIType.i32], returns: FFIType.i32 },
  ptsname_r: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i32 },
  tcgetattr: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  tcsetattr: { args: [FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  cfmakeraw: { args: [FFIType.ptr], returns: FFIType.void },
  // the appliance restarting itself with its runtime options set (src/cli/appliance-runtime.ts)
  execve: { args: [FFIType.cstring, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  // handing the executable's start-up pages back to the kernel (src/cli/resident-pages.ts)
  madvise: { args: [FFIType.u64, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
  strerror: { args: [FFIType.i32], returns: FFIType.cstring },
  __errno_location: { args: [], returns: FFIType.ptr },
} as const;

type Libc = Library<typeof SYMBOLS>["symbols"];
let libc: Libc | null = null;

/** The libc symbols, loaded on first use so that importing this module never fails off Linux. */
export function sys(): Libc {
  if (libc) return libc;
  if (process.platform !== "linux") throw new Error(`serial ports and ptys need Linux (this is ${process.platform})`);
  try {
    libc = dlopen("libc.so.6", SYMBOLS).symbols;
  } catch (e) {
    throw new Error(`cannot load libc.so.6 for serial port and pty access: ${(e as Error).message}`);
  }
  return libc;
}

export const O_RDWR = 0o2, O_NOCTTY = 0o400, O_NONBLOCK = 0o4000, O_CLOEXEC = 0o2000000;
export const LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;
export const TCIOFLUSH = 2;
export const TCSANOW = 0;

// Numbers with two names (EAGAIN/EWOULDBLOCK) keep the first, the one Linux documents.
const errnoNames = new Map<number, string>();
for (const [name, n] of Object.entries(constants.errno)) if (!errnoNames.has(n)) errnoNames.set(n, name);
export const EAGAIN = constants.errno.EAGAIN;
export const EINTR = constants.errno.EINTR;

/** errno of the libc call that just failed (read immediately, before any other call). */
export function errno(): number {
  return read.i32(sys().__errno_location()!, 0);
}

export interface SysError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
}

/** An Error shaped like Node's system errors: "what: strerror (CODE)" with code/errno/syscall set. */
export function sysError(what: string, syscall: string, err: number, path?: string): SysError {
  const code = errnoNames.get(err) ?? `errno ${err}`;
  const e = new Error(`${what}: ${String(sys().strerror(err))} (${code})`) as SysError;
  e.code = code;
  e.errno = err;
  e.syscall = syscall;
  if (path !== undefined) e.path = path;
  return e;
}

/**
 * Replace this process with `path` run with `argv` and `env` (execve: same pid, same open descriptors
 * without close-on-exec). Returns only on failure, with the error.
 */
export function execve(path: string, argv: readonly string[], env: Readonly<Record<string, string | undefined>>): SysError {
  const args = cStringArray(argv);
  const vars = cStringArray(Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`));
  sys().execve(cPath(path), args.pointers, vars.pointers);
  return sysError(`cannot execute ${path}`, "execve", errno(), path);
}

/** A C `char *[]` ended by a null pointer; `strings` holds the buffers it points into. */
function cStringArray(list: readonly string[]): { pointers: BigUint64Array; strings: Buffer[] } {
  const strings = list.map(cPath);
  const pointers = new BigUint64Array(strings.length + 1);
  strings.forEach((b, i) => (pointers[i] = BigInt(ptr(b))));
  return { pointers, strings };
}

/** A NUL-terminated copy of a path for open(). */
export function cPath(path: string): Buffer {
  return Buffer.from(`${path}\0`, "utf8");
}
