// One open tty, implementing @serialport/bindings-interface's BindingPortInterface without libuv.
// Reads: Bun.file(fd).stream() on the non-blocking fd, which Bun polls in its own event loop (epoll), so
// data arrives with event-loop latency and an idle port costs no CPU. Writes: write(2) on the
// non-blocking fd; when the kernel's output buffer is full (EAGAIN) the rest is retried on a short timer.
// The MCU link uses pump() and sendNow() (port-transport.ts), not read()/write(): they skip the
// promise per call and the stream layer above it, which cost the live host ~60 µs per chunk.
import type { BindingPortInterface, OpenOptions, PortStatus, SetOptions, UpdateOptions } from "./bindings-types.ts";
import { cPath, EAGAIN, EINTR, errno, LOCK_EX, LOCK_NB, LOCK_UN, O_CLOEXEC, O_NOCTTY, O_NONBLOCK, O_RDWR, sys, sysError, TCIOFLUSH } from "../../util/libc.ts";
import { checkBaudRate, lineSettings, readTermios, writeTermios, type LineSettings } from "./termios.ts";

export interface LinuxOpenOptions extends OpenOptions {
  /** false: leave the line settings alone (character devices that are not UARTs, e.g. /dev/rpmsg_*). */
  configureLine?: boolean;
}

const TIOCOUTQ = 0x5411, TIOCMGET = 0x5415, TIOCMBIS = 0x5416, TIOCMBIC = 0x5417, TIOCSBRK = 0x5427, TIOCCBRK = 0x5428;
const TIOCM_DTR = 0x002, TIOCM_RTS = 0x004, TIOCM_CTS = 0x020, TIOCM_CAR = 0x040, TIOCM_DSR = 0x100;
const WRITE_RETRY_MAX_MS = 4;
const DRAIN_POLL_MS = 2;
// A rate the driver rounds further than this from the request would not talk to the MCU reliably.
const BAUD_TOLERANCE = 0.02;

interface PendingWrite {
  data: Uint8Array;
  offset: number;
  retryMs: number;
  timer: ReturnType<typeof setTimeout> | null;
  resolve(): void;
  reject(e: Error): void;
}

function openReader(fd: number) {
  return Bun.file(fd).stream().getReader();
}

function canceled(path: string): Error {
  return Object.assign(new Error(`serial port ${path} was closed`), { canceled: true });
}

export class LinuxSerialPort implements BindingPortInterface {
  isOpen = true;
  private readonly reader: ReturnType<typeof openReader>;
  private leftover: Uint8Array | null = null;
  private readTail: Promise<unknown> = Promise.resolve();
  private writeTail: Promise<unknown> = Promise.resolve();
  /** write() calls not yet finished: sendNow() may only write ahead of them when there are none. */
  private queuedWrites = 0;
  private pendingWrite: PendingWrite | null = null;
  private readonly modemLines = new Int32Array(1);

  private constructor(private readonly fd: number, readonly openOptions: Required<LinuxOpenOptions>) {
    this.reader = openReader(fd);
  }

  /** Opens and configures a tty: O_RDWR|O_NOCTTY|O_NONBLOCK, exclusive flock, raw termios2 at any baud. */
  static async open(options: LinuxOpenOptions): Promise<LinuxSerialPort> {
    const path = options.path;
    if (typeof path !== "string" || path === "") throw new TypeError(`serial port path must be a non-empty string, got ${String(path)}`);
    const configureLine = options.configureLine ?? true;
    const settings = configureLine ? lineSettings(options) : null;
    const fd = sys().open(cPath(path), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw openError(path, errno());
    try {
      const lock = options.lock ?? true;
      if (lock && sys().flock(fd, LOCK_EX | LOCK_NB) !== 0) {
        const err = errno();
        if (err === EAGAIN) throw sysError(`serial port ${path} is in use by another process`, "flock", err, path);
        throw sysError(`cannot lock serial port ${path}`, "flock", err, path);
      }
      if (settings) {
        const t = readTermios(fd, path);
        t.makeRaw(settings);
        writeTermios(fd, t, path);
        checkRate(fd, path, settings.baudRate);
      }
      const full: Required<LinuxOpenOptions> = {
        dataBits: 8, stopBits: 1, parity: "none", rtscts: false, xon: false, xoff: false, xany: false, hupcl: true,
        ...options, ...settings, lock, configureLine, path, baudRate: settings?.baudRate ?? options.baudRate,
      };
      return new LinuxSerialPort(fd, full);
    } catch (e) {
      sys().close(fd);
      throw e;
    }
  }

  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length <= 0 || offset + length > buffer.length) {
      return Promise.reject(new TypeError(`read: offset ${offset} + length ${length} must lie within the ${buffer.length}-byte buffer`));
    }
    const p = this.readTail.then(() => this.readOnce(buffer, offset, length));
    this.readTail = p.catch(() => {});
    return p;
  }

  private async readOnce(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    if (!this.isOpen) throw canceled(this.path);
    while (this.leftover === null) {
      const r = await this.reader.read();
      if (!this.isOpen) throw canceled(this.path);
      // A tty reads end-of-file once its other side is gone (USB unplugged, pty master closed).
      if (r.done) throw Object.assign(new Error(`serial port ${this.path} disconnected (end of file)`), { code: "EOF" });
      if (r.value.length > 0) this.leftover = r.value;
    }
    const n = Math.min(length, this.leftover.length);
    buffer.set(this.leftover.subarray(0, n), offset);
    this.leftover = n < this.leftover.length ? this.leftover.subarray(n) : null;
    return { buffer, bytesRead: n };
  }

  write(buffer: Buffer): Promise<void> {
    this.queuedWrites++;
    const p = this.writeTail.then(() => this.writeAll(buffer)).finally(() => this.queuedWrites--);
    this.writeTail = p.catch(() => {});
    return p;
  }

  /**
   * Delivers each chunk read until the port is closed (resolves) or lost (rejects: end of file when
   * the other side is gone). Instead of read(), not beside it.
   */
  async pump(onChunk: (chunk: Uint8Array) => void): Promise<void> {
    for (;;) {
      const r = await this.reader.read();
      if (!this.isOpen) return;
      if (r.done) throw Object.assign(new Error(`serial port ${this.path} disconnected (end of file)`), { code: "EOF" });
      if (r.value.length > 0) onChunk(r.value);
    }
  }

  /**
   * Writes `data` now, as far as the kernel takes it, when no earlier write is waiting; the rest (a
   * copy: the caller may reuse `data`) follows in order, and its promise is returned. Throws at once
   * on a failed write.
   */
  sendNow(data: Uint8Array): Promise<void> | null {
    if (!this.isOpen) throw canceled(this.path);
    let rest = data;
    if (this.queuedWrites === 0) {
      const n = this.writeSome(data, 0);
      if (n === data.length) return null;
      rest = data.subarray(n);
    }
    return this.write(Buffer.from(rest));
  }

  private writeAll(data: Uint8Array): Promise<void> {
    if (!this.isOpen) return Promise.reject(canceled(this.path));
    if (data.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.pendingWrite = { data, offset: 0, retryMs: 0, timer: null, resolve, reject };
      this.pumpWrite();
    });
  }

  private pumpWrite(): void {
    const w = this.pendingWrite;
    if (!w) return;
    w.timer = null;
    const before = w.offset;
    try {
      w.offset = this.writeSome(w.data, w.offset);
    } catch (e) {
      this.pendingWrite = null;
      w.reject(e as Error);
      return;
    }
    if (w.offset < w.data.length) {
      // Output buffer full: the UART drains it at the baud rate; back off 1, 2, 4 ms.
      w.retryMs = w.offset > before ? 1 : Math.min(Math.max(1, w.retryMs * 2), WRITE_RETRY_MAX_MS);
      w.timer = setTimeout(() => this.pumpWrite(), w.retryMs);
      return;
    }
    this.pendingWrite = null;
    w.resolve();
  }

  /** write(2) from `offset` until done or the kernel's buffer is full (EAGAIN); returns the new offset. */
  private writeSome(data: Uint8Array, offset: number): number {
    while (offset < data.length) {
      const n = Number(sys().write(this.fd, data.subarray(offset), data.length - offset));
      if (n > 0) {
        offset += n;
        continue;
      }
      const err = n === 0 ? EAGAIN : errno();
      if (err === EINTR) continue;
      if (err === EAGAIN) return offset;
      throw sysError(`write to serial port ${this.path} failed`, "write", err, this.path);
    }
    return offset;
  }

  async update(options: UpdateOptions): Promise<void> {
    this.assertOpen("update");
    const baud = checkBaudRate(options?.baudRate, `serial port ${this.path}`);
    const t = readTermios(this.fd, this.path);
    t.setBaud(baud);
    writeTermios(this.fd, t, this.path);
    checkRate(this.fd, this.path, baud);
    this.openOptions.baudRate = baud;
  }

  async set(options: SetOptions): Promise<void> {
    this.assertOpen("set");
    let raise = 0, lower = 0;
    if (options.dtr !== undefined) options.dtr ? (raise |= TIOCM_DTR) : (lower |= TIOCM_DTR);
    if (options.rts !== undefined) options.rts ? (raise |= TIOCM_RTS) : (lower |= TIOCM_RTS);
    if (raise) this.modemIoctl(TIOCMBIS, raise, "raise DTR/RTS");
    if (lower) this.modemIoctl(TIOCMBIC, lower, "lower DTR/RTS");
    if (options.brk !== undefined) {
      if (sys().ioctl(this.fd, options.brk ? TIOCSBRK : TIOCCBRK, null) !== 0) {
        throw sysError(`cannot ${options.brk ? "start" : "stop"} a break on ${this.path}`, "ioctl(TIOCSBRK)", errno(), this.path);
      }
    }
  }

  async get(): Promise<PortStatus> {
    this.assertOpen("get");
    const bits = this.modemIoctl(TIOCMGET, 0, "read the modem lines");
    return { cts: (bits & TIOCM_CTS) !== 0, dsr: (bits & TIOCM_DSR) !== 0, dcd: (bits & TIOCM_CAR) !== 0 };
  }

  async getBaudRate(): Promise<{ baudRate: number }> {
    this.assertOpen("getBaudRate");
    return { baudRate: readTermios(this.fd, this.path).ospeed };
  }

  /** The full line settings as the kernel reports them (to check what open() really set). */
  readLineSettings(): LineSettings {
    this.assertOpen("readLineSettings");
    return readTermios(this.fd, this.path).describe();
  }

  async flush(): Promise<void> {
    this.assertOpen("flush");
    if (sys().tcflush(this.fd, TCIOFLUSH) !== 0) throw sysError(`cannot flush ${this.path}`, "tcflush", errno(), this.path);
    this.leftover = null;
  }

  /** Waits for the pending write, then until the kernel's output queue is empty (polled: tcdrain would block the event loop). */
  async drain(): Promise<void> {
    this.assertOpen("drain");
    await this.writeTail;
    for (;;) {
      if (!this.isOpen) throw canceled(this.path);
      if (this.outputQueued() === 0) return;
      await Bun.sleep(DRAIN_POLL_MS);
    }
  }

  async close(): Promise<void> {
    if (!this.isOpen) throw new Error(`serial port ${this.path} is not open`);
    this.isOpen = false;
    const w = this.pendingWrite;
    if (w) {
      if (w.timer) clearTimeout(w.timer);
      this.pendingWrite = null;
      w.reject(canceled(this.path));
    }
    // Cancelling ends a pending reader.read() (it then sees isOpen false) and unregisters the fd
    // from Bun's poller before the fd number is released.
    await this.reader.cancel().catch(() => {});
    this.leftover = null;
    // Bun reads through a dup of the fd that it may close a little later; the flock belongs to the
    // shared open file, so release it explicitly for an immediate reopen to succeed.
    if (this.openOptions.lock) sys().flock(this.fd, LOCK_UN);
    if (sys().close(this.fd) !== 0) throw sysError(`closing serial port ${this.path} failed`, "close", errno(), this.path);
  }

  private get path(): string {
    return this.openOptions.path;
  }

  private assertOpen(op: string): void {
    if (!this.isOpen) throw new Error(`serial port ${this.path} is not open (${op})`);
  }

  private outputQueued(): number {
    if (sys().ioctl(this.fd, TIOCOUTQ, this.modemLines) !== 0) throw sysError(`cannot query the output queue of ${this.path}`, "ioctl(TIOCOUTQ)", errno(), this.path);
    return this.modemLines[0]!;
  }

  private modemIoctl(request: number, bits: number, what: string): number {
    this.modemLines[0] = bits;
    if (sys().ioctl(this.fd, request, this.modemLines) !== 0) {
      // ptys have no modem lines (ENOTTY); say so rather than just "inappropriate ioctl".
      throw sysError(`cannot ${what} of ${this.path} (ptys and some adapters have none)`, "ioctl", errno(), this.path);
    }
    return this.modemLines[0]!;
  }
}

function checkRate(fd: number, path: string, wanted: number): void {
  const actual = readTermios(fd, path).ospeed;
  if (Math.abs(actual - wanted) > wanted * BAUD_TOLERANCE) {
    throw new Error(`serial port ${path}: the driver set ${actual} baud instead of the requested ${wanted}`);
  }
}

function openError(path: string, err: number): Error {
  const e = sysError(`cannot open serial port ${path}`, "open", err, path);
  if (e.code === "ENOENT") {
    e.message += path.startsWith("/dev/serial/by-id/")
      ? " — is the board connected and powered? `ls /dev/serial/by-id/` lists the boards present"
      : " — no such device";
  } else if (e.code === "EACCES") {
    e.message += " — the user needs access to the device (e.g. membership in the 'dialout' group)";
  }
  return e;
}
