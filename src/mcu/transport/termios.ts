// Line settings of a Linux tty through struct termios2 (TCGETS2/TCSETS2), which carries the baud rate
// as a plain number when the BOTHER flag is set, so non-standard rates such as 250000 work.
//
// Layout from <asm-generic/termbits.h>, shared by x86_64 and aarch64 (both use the generic ioctl
// encoding and NCCS = 19): c_iflag, c_oflag, c_cflag, c_lflag (u32 at 0, 4, 8, 12), c_line (u8 at 16),
// c_cc[19] (17..35), c_ispeed (u32 at 36), c_ospeed (u32 at 40); 44 bytes, no padding.
import { errno, sys, sysError } from "../../util/libc.ts";

export const TERMIOS2_SIZE = 44;
const OFF = { iflag: 0, oflag: 4, cflag: 8, lflag: 12, cc: 17, ispeed: 36, ospeed: 40 } as const;
// _IOR('T', 0x2A, struct termios2) and _IOW('T', 0x2B, struct termios2)
const TCGETS2 = 0x802c542a;
const TCSETS2 = 0x402c542b;

// c_iflag
const IXON = 0x400, IXOFF = 0x1000, IXANY = 0x800;
// c_cflag
const CBAUD = 0x100f, CIBAUD = 0x100f0000, BOTHER = 0x1000, IBSHIFT = 16;
const CSIZE = 0x30, CSTOPB = 0x40, CREAD = 0x80, PARENB = 0x100, PARODD = 0x200, HUPCL = 0x400, CLOCAL = 0x800;
const CMSPAR = 0x40000000, CRTSCTS = 0x80000000;
const CS = { 5: 0x00, 6: 0x10, 7: 0x20, 8: 0x30 } as const;
// c_cc indices
const VTIME = 5, VMIN = 6;

export type Parity = "none" | "even" | "odd" | "mark" | "space";
export interface LineSettings {
  baudRate: number;
  dataBits: 5 | 6 | 7 | 8;
  stopBits: 1 | 2;
  parity: Parity;
  rtscts: boolean;
  xon: boolean;
  xoff: boolean;
  xany: boolean;
  hupcl: boolean;
}

/** One struct termios2, read from or written to a tty. */
export class Termios2 {
  readonly bytes = new Uint8Array(TERMIOS2_SIZE);
  private readonly view = new DataView(this.bytes.buffer);
  get iflag(): number { return this.view.getUint32(OFF.iflag, true); }
  set iflag(v: number) { this.view.setUint32(OFF.iflag, v >>> 0, true); }
  get oflag(): number { return this.view.getUint32(OFF.oflag, true); }
  set oflag(v: number) { this.view.setUint32(OFF.oflag, v >>> 0, true); }
  get cflag(): number { return this.view.getUint32(OFF.cflag, true); }
  set cflag(v: number) { this.view.setUint32(OFF.cflag, v >>> 0, true); }
  get lflag(): number { return this.view.getUint32(OFF.lflag, true); }
  set lflag(v: number) { this.view.setUint32(OFF.lflag, v >>> 0, true); }
  get ispeed(): number { return this.view.getUint32(OFF.ispeed, true); }
  set ispeed(v: number) { this.view.setUint32(OFF.ispeed, v >>> 0, true); }
  get ospeed(): number { return this.view.getUint32(OFF.ospeed, true); }
  set ospeed(v: number) { this.view.setUint32(OFF.ospeed, v >>> 0, true); }
  cc(index: number): number { return this.bytes[OFF.cc + index]!; }
  setCc(index: number, v: number): void { this.bytes[OFF.cc + index] = v; }

  /** Set both directions to an arbitrary rate (BOTHER); the kernel picks the nearest it can do. */
  setBaud(baud: number): void {
    this.cflag = (this.cflag & ~(CBAUD | CIBAUD)) | BOTHER | (BOTHER << IBSHIFT);
    this.ispeed = baud;
    this.ospeed = baud;
  }

  /** Raw 8-bit transport: no echo, no line editing, no signals, no CR/NL mapping, no output processing. */
  makeRaw(s: LineSettings): void {
    this.iflag = (s.xon ? IXON : 0) | (s.xoff ? IXOFF : 0) | (s.xany ? IXANY : 0);
    this.oflag = 0;
    this.lflag = 0;
    let cflag = CREAD | CLOCAL | CS[s.dataBits];
    if (s.stopBits === 2) cflag |= CSTOPB;
    if (s.parity !== "none") cflag |= PARENB;
    if (s.parity === "odd" || s.parity === "mark") cflag |= PARODD;
    if (s.parity === "mark" || s.parity === "space") cflag |= CMSPAR;
    if (s.hupcl) cflag |= HUPCL;
    if (s.rtscts) cflag |= CRTSCTS;
    this.cflag = cflag;
    this.setBaud(s.baudRate);
    // With O_NONBLOCK these only matter to readers that clear it; one byte, no inter-byte timer.
    this.setCc(VMIN, 1);
    this.setCc(VTIME, 0);
  }

  /** The line settings this termios describes (for read-back checks). */
  describe(): LineSettings {
    const c = this.cflag;
    const size = c & CSIZE;
    const dataBits = size === CS[8] ? 8 : size === CS[7] ? 7 : size === CS[6] ? 6 : 5;
    let parity: Parity = "none";
    if (c & PARENB) parity = c & CMSPAR ? (c & PARODD ? "mark" : "space") : c & PARODD ? "odd" : "even";
    return {
      baudRate: this.ospeed, dataBits, stopBits: c & CSTOPB ? 2 : 1, parity,
      rtscts: (c & CRTSCTS) !== 0, hupcl: (c & HUPCL) !== 0,
      xon: (this.iflag & IXON) !== 0, xoff: (this.iflag & IXOFF) !== 0, xany: (this.iflag & IXANY) !== 0,
    };
  }
}

/** TCGETS2; fails with ENOTTY ("Inappropriate ioctl for device") when fd is not a terminal. */
export function readTermios(fd: number, path: string): Termios2 {
  const t = new Termios2();
  if (sys().ioctl(fd, TCGETS2, t.bytes) !== 0) throw sysError(`cannot read the line settings of ${path}`, "ioctl(TCGETS2)", errno(), path);
  return t;
}

export function writeTermios(fd: number, t: Termios2, path: string): void {
  if (sys().ioctl(fd, TCSETS2, t.bytes) !== 0) throw sysError(`cannot set the line settings of ${path}`, "ioctl(TCSETS2)", errno(), path);
}

const PARITIES: readonly Parity[] = ["none", "even", "odd", "mark", "space"];

/** Checks a baud rate the way every entry point needs it (positive integer, fits c_ospeed). */
export function checkBaudRate(baud: unknown, where: string): number {
  if (typeof baud !== "number" || !Number.isInteger(baud) || baud <= 0 || baud > 0xffffffff) {
    throw new TypeError(`${where}: baud rate must be a positive integer, got ${String(baud)}`);
  }
  return baud;
}

/** Validated line settings from serialport-style open options (their documented defaults applied). */
export function lineSettings(o: {
  path: string; baudRate: number; dataBits?: number; stopBits?: number; parity?: string;
  rtscts?: boolean; xon?: boolean; xoff?: boolean; xany?: boolean; hupcl?: boolean;
}): LineSettings {
  const where = `serial port ${o.path}`;
  const dataBits = o.dataBits ?? 8;
  if (dataBits !== 5 && dataBits !== 6 && dataBits !== 7 && dataBits !== 8) throw new TypeError(`${where}: dataBits must be 5, 6, 7 or 8, got ${dataBits}`);
  const stopBits = o.stopBits ?? 1;
  if (stopBits === 1.5) throw new TypeError(`${where}: 1.5 stop bits are not supported on Linux`);
  if (stopBits !== 1 && stopBits !== 2) throw new TypeError(`${where}: stopBits must be 1 or 2, got ${stopBits}`);
  const parity = (o.parity ?? "none") as Parity;
  if (!PARITIES.includes(parity)) throw new TypeError(`${where}: parity must be one of ${PARITIES.join(", ")}, got '${o.parity}'`);
  return {
    baudRate: checkBaudRate(o.baudRate, where), dataBits, stopBits, parity,
    rtscts: o.rtscts ?? false, xon: o.xon ?? false, xoff: o.xoff ?? false, xany: o.xany ?? false, hupcl: o.hupcl ?? true,
  };
}
