// An exclusive flock on a file, held for as long as the process wants it: a second process asking for
// the same file is refused while the holder lives, and finds it free after a crash (the kernel drops
// a dead process's flocks). The file holds the holder's pid, for the refusal message.
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { EAGAIN, errno, LOCK_EX, LOCK_NB, sys, sysError } from "./libc.ts";

export class LockHeldError extends Error {
  constructor(message: string, readonly holderPid: number | null) {
    super(message);
  }
}

/**
 * Lock `file` (created if missing) or throw: a LockHeldError whose message is `held(pid)` when a
 * live process holds it, a plain Error when the file cannot be opened or locked. Returns the fd
 * to close (or pass to releaseLock) when done.
 */
export function takeLock(file: string, held: (holderPid: number | null) => string): number {
  let fd: number;
  try {
    fd = openSync(file, "a+", 0o644);
  } catch (e) {
    throw new Error(`cannot create the lock file ${file}: ${(e as Error).message}`);
  }
  if (sys().flock(fd, LOCK_EX | LOCK_NB) !== 0) {
    const err = errno();
    const pid = Number.parseInt(readFileSync(file, "utf8").trim(), 10);
    closeSync(fd);
    const holder = Number.isInteger(pid) ? pid : null;
    if (err === EAGAIN) throw new LockHeldError(held(holder), holder);
    throw sysError(`cannot lock ${file}`, "flock", err, file);
  }
  // The file is ours now: record who holds it, for the message above
  try {
    ftruncateSync(fd, 0);
    writeSync(fd, `${process.pid}\n`);
  } catch (e) {
    closeSync(fd);
    throw new Error(`cannot write the lock file ${file}: ${(e as Error).message}`);
  }
  return fd;
}
