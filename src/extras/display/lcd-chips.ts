// LCD controllers of [display]: their MCU configuration, init sequences and framebuffers that
// are sent as diffs (only changed runs of bytes go to the chip). Chips: ST7920 (bit-banged by the
// MCU, or emulated over software SPI), HD44780 (4-bit parallel, or through a shift register on
// SPI), UC1701 / SSD1306 / SH1106 (SPI with a data/command line, or I2C).
import type { ConfigSection } from "../../core/config/section.ts";
import { hostTime } from "../../core/host-timers.ts";
import type { McuPort } from "../../core/mcu-pins/mcu-port.ts";
import { PinError } from "../../core/pins.ts";
import type { Printer } from "../../core/printer.ts";
import { BusDigitalOut, i2cFromConfig, type McuI2c, type McuSpi, McuSpi as Spi, pinMcu, spiFromConfig } from "../bus/bus.ts";

/** Display updates yield to every other queued command. */
const BACKGROUND_PRIORITY_CLOCK = 0x7fffffff00000000;

export interface LcdChip {
  init(): void;
  flush(): void;
  clear(): void;
  writeText(x: number, y: number, data: ArrayLike<number>): void;
  /** Draw a named glyph at a text position; returns the columns used (0: unknown glyph). */
  writeGlyph(x: number, y: number, name: string): number;
  /** 16 rows of 8 pixels in a character cell (progress bars); text-only chips ignore it. */
  writeGraphics(x: number, y: number, rows: ArrayLike<number>): void;
  /** Glyphs from [display_glyph] sections. */
  setGlyphs(glyphs: Map<string, GlyphData>): void;
  dimensions(): [columns: number, rows: number];
}

export interface GlyphData {
  icon16x16?: [number[], number[]];
  icon5x8?: [slot: number, rows: number[]];
}

/** A framebuffer, what the chip shows now, and the chip address of its first byte. */
interface Framebuffer {
  data: Uint8Array;
  old: Uint8Array;
  id: number;
}

const filled = (n: number, ch: string) => new Uint8Array(n).fill(ch.charCodeAt(0));

/** Changed runs [pos, count], neighbours within `gap` bytes merged (runs stay below 16 + gap). */
export function diffRuns(data: Uint8Array, old: Uint8Array, gap: number): [number, number][] {
  const diffs: [number, number][] = [];
  for (let i = 0; i < data.length; i++) if (data[i] !== old[i]) diffs.push([i, 1]);
  for (let i = diffs.length - 2; i >= 0; i--) {
    const [pos] = diffs[i]!;
    const [nextPos, nextCount] = diffs[i + 1]!;
    if (pos + gap >= nextPos && nextCount < 16) {
      diffs[i]![1] = nextCount + (nextPos - pos);
      diffs.splice(i + 1, 1);
    }
  }
  return diffs;
}

/** Send each framebuffer's changed runs (see diffRuns), then remember them as shown. */
function flushFramebuffers(fbs: Framebuffer[], gap: number, sendRun: (fb: Framebuffer, pos: number, count: number) => void): void {
  for (const fb of fbs) {
    for (const [pos, count] of diffRuns(fb.data, fb.old, gap)) sendRun(fb, pos, count);
    fb.old.set(fb.data);
  }
}

/** All pins of a chip must be on one MCU. */
function pinsOnOneMcu(printer: Printer, config: ConfigSection, names: string[], what: string): [McuPort, string[]] {
  let mcu: McuPort | null = null;
  const pins = names.map((n) => {
    const p = printer.pins.lookupPin(config.get(`${n}_pin`), { owner: config.getName() });
    const m = pinMcu(p);
    if (mcu !== null && m !== mcu) throw new PinError(`${what} all pins must be on same mcu`);
    mcu = m;
    return p.pin;
  });
  return [mcu!, pins];
}

function sendBytes(mcu: McuPort, cmd: string, oid: number, field: string, data: ArrayLike<number>, queue: unknown, minClock = 0, reqClock = BACKGROUND_PRIORITY_CLOCK): void {
  mcu.sendCommand(mcu.dict.encodeCommand(cmd, { oid, [field]: Uint8Array.from(data) }), { minClock, reqClock, queue: queue as never });
}

/** Toggle a reset/enable line low then high, delaying the chip's later commands by 300 ms. */
class ResetPulse {
  private readonly out: BusDigitalOut;
  constructor(printer: Printer, mcu: McuPort, pinDesc: string, queue: unknown) {
    this.out = new BusDigitalOut(printer, mcu, pinDesc, queue as never);
  }
  pulse(printer: Printer): void {
    const mcu = this.out.mcu;
    const pt = mcu.estimatedPrintTime(hostTime(printer));
    this.out.update(0, mcu.printTimeToClock(pt + 0.1));
    this.out.update(1, mcu.printTimeToClock(pt + 0.2));
    this.out.update(1, mcu.printTimeToClock(pt + 0.3));
  }
}

// ---- ST7920 family: 16x4 text, CGRAM glyphs, 128x64 graphics ----

abstract class St7920Base implements LcdChip {
  private readonly text = filled(64, " ");
  private readonly glyphs = new Uint8Array(128);
  private readonly graphics = Array.from({ length: 32 }, () => new Uint8Array(32));
  private readonly fbs: Framebuffer[];
  protected isExtended = false;
  private icons = new Map<string, [number[], number[]]>();
  /** Animated glyph name -> [base glyph, CGRAM character code]. */
  private readonly cached = new Map<string, [string, number]>();

  constructor() {
    this.fbs = [
      { data: this.text, old: filled(64, "~"), id: 0x80 },
      { data: this.glyphs, old: filled(128, "~"), id: 0x40 },
      ...this.graphics.map((g, i) => ({ data: g, old: filled(32, "~"), id: i })),
    ];
  }

  abstract send(cmds: number[] | Uint8Array, isData?: boolean, isExtended?: boolean): void;

  /** Prefix a mode switch when the instruction set changes. */
  protected withMode(cmds: number[], isExtended: boolean): number[] {
    if (this.isExtended === isExtended) return cmds;
    this.isExtended = isExtended;
    return [isExtended ? 0x26 : 0x22, ...cmds];
  }

  flush(): void {
    flushFramebuffers(this.fbs, 5, (fb, pos, count) => {
      // The chip addresses 16-bit words
      count += pos & 1;
      count += count & 1;
      pos &= ~1;
      const chipPos = pos >> 1;
      if (fb.id < 0x40) this.send([0x80 + fb.id, 0x80 + chipPos], false, true);
      else this.send([fb.id + chipPos]);
      this.send(fb.data.subarray(pos, pos + count), true);
    });
  }

  init(): void {
    // extended mode, clear scroll address, CGRAM access, graphics on, basic mode, home,
    // positive update direction, display on without cursor
    this.send([0x24, 0x40, 0x02, 0x26, 0x22, 0x02, 0x06, 0x0c]);
    this.flush();
  }

  setGlyphs(glyphs: Map<string, GlyphData>): void {
    // Animated glyphs live in CGRAM as XOR differences against their base frame
    const icons = new Map([...glyphs].filter(([, g]) => g.icon16x16).map(([n, g]) => [n, g.icon16x16!]));
    this.icons = icons;
    const cache = (name: string, base: string, id: number) => {
      const icon = icons.get(name);
      const baseIcon = icons.get(base);
      if (!icon || !baseIcon) return;
      for (let i = 0; i < 16; i++) {
        const x1 = icon[0][i]! ^ baseIcon[0][i]!;
        const x2 = icon[1][i]! ^ baseIcon[1][i]!;
        const pos = id * 32 + i * 2;
        this.glyphs[pos] = x1;
        this.glyphs[pos + 1] = x2;
        this.fbs[1]!.old[pos] = x1 ^ 1;
        this.fbs[1]!.old[pos + 1] = x2 ^ 1;
      }
      this.cached.set(name, [base, id * 2]);
    };
    cache("fan2", "fan1", 0);
    cache("bed_heat2", "bed_heat1", 1);
  }

  writeText(x: number, y: number, data: ArrayLike<number>): void {
    const len = Math.min(data.length, 16 - Math.min(x, 16));
    const pos = [0, 32, 16, 48][y]! + x;
    for (let i = 0; i < len; i++) this.text[pos + i] = data[i]!;
  }

  writeGraphics(x: number, y: number, rows: ArrayLike<number>): void {
    if (x >= 16 || y >= 4 || rows.length !== 16) return;
    let fb = y * 16;
    if (fb >= 32) {
      fb -= 32;
      x += 16;
    }
    for (let i = 0; i < 16; i++) this.graphics[fb + i]![x] = rows[i]!;
  }

  writeGlyph(x: number, y: number, name: string): number {
    let glyph = name;
    const cached = this.cached.get(name);
    if (cached && !(x & 1)) {
      // The animation frame is the CGRAM character drawn over the base icon
      glyph = cached[0];
      this.writeText(x, y, [0, cached[1]]);
    }
    const icon = this.icons.get(glyph);
    if (icon) {
      this.writeGraphics(x, y, icon[0]);
      this.writeGraphics(x + 1, y, icon[1]);
      return 2;
    }
    if (glyph === "right_arrow") {
      this.writeText(x, y, [0x1a]);
      return 1;
    }
    return 0;
  }

  clear(): void {
    this.text.fill(0x20);
    for (const g of this.graphics) g.fill(0);
  }

  dimensions(): [number, number] {
    return [16, 4];
  }
}

class St7920 extends St7920Base {
  private readonly mcu: McuPort;
  private readonly oid: number;
  private queue: unknown = null;

  constructor(config: ConfigSection, printer: Printer) {
    super();
    const [mcu, pins] = pinsOnOneMcu(printer, config, ["cs", "sclk", "sid"], "st7920");
    this.mcu = mcu;
    this.oid = mcu.createOid();
    mcu.registerConfigCallback(() => {
      mcu.addConfigCmd(
        `config_st7920 oid=${this.oid} cs_pin=${pins[0]} sclk_pin=${pins[1]} sid_pin=${pins[2]}` +
          ` sync_delay_ticks=${mcu.secondsToClock(0.000045)} cmd_delay_ticks=${mcu.secondsToClock(0.000020)}`,
      );
      this.queue = mcu.allocCommandQueue();
    });
  }

  send(cmds: number[] | Uint8Array, isData = false, isExtended = false): void {
    if (isData) sendBytes(this.mcu, "st7920_send_data", this.oid, "data", cmds, this.queue);
    else sendBytes(this.mcu, "st7920_send_cmds", this.oid, "cmds", this.withMode([...cmds], isExtended), this.queue);
  }
}

/** Displays that emulate an ST7920 behind a software SPI (sync byte + split nibbles). */
class EmulatedSt7920 extends St7920Base {
  private readonly spi: McuSpi;
  private readonly enable: ResetPulse;
  private enabled = false;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    super();
    let mcu: McuPort | null = null;
    const sw = (["miso", "mosi", "sclk"] as const).map((n) => {
      const p = printer.pins.lookupPin(config.get(`spi_software_${n}_pin`), { shareType: `spi_software_${n}_pin`, owner: config.getName() });
      const m = pinMcu(p);
      if (mcu !== null && m !== mcu) throw new PinError(`${config.getName()}: spi pins must be on same mcu`);
      mcu = m;
      return p.pin;
    }) as [string, string, string];
    const speed = config.getInt("spi_speed", 1000000, { minval: 100000 });
    this.spi = new Spi(printer, mcu!, null, null, 0, speed, sw);
    this.enable = new ResetPulse(printer, mcu!, config.get("en_pin"), this.spi.queue);
  }

  send(cmds: number[] | Uint8Array, isData = false, isExtended = false): void {
    const bytes = isData ? [...cmds] : this.withMode([...cmds], isExtended);
    const out = [isData ? 0xfa : 0xf8];
    for (const b of bytes) out.push(b & 0xf0, (b & 0x0f) << 4);
    if (!this.enabled) {
      this.enable.pulse(this.printer);
      this.enabled = true;
    }
    this.spi.send(out, 0, BACKGROUND_PRIORITY_CLOCK);
  }
}

// ---- HD44780 family: 16 or 20 columns x 4 lines of text, 8 CGRAM glyphs ----

abstract class Hd44780Base implements LcdChip {
  protected readonly lineLength: number;
  private readonly text: Uint8Array[];
  private readonly glyphs = new Uint8Array(64);
  private readonly fbs: Framebuffer[];

  constructor(config: ConfigSection, protected readonly printer: Printer) {
    this.lineLength = config.getChoice("line_length", [16, 20] as const, 20);
    this.text = [filled(2 * this.lineLength, " "), filled(2 * this.lineLength, " ")];
    this.fbs = [
      { data: this.text[0]!, old: filled(2 * this.lineLength, "~"), id: 0x80 },
      { data: this.text[1]!, old: filled(2 * this.lineLength, "~"), id: 0xc0 },
      { data: this.glyphs, old: filled(64, "~"), id: 0x40 },
    ];
  }

  /** minClock: a timed init command; without it a background screen update. */
  protected abstract sendCmds(cmds: ArrayLike<number>, isData: boolean, minClock?: number): void;
  protected abstract mcu(): McuPort;

  flush(): void {
    flushFramebuffers(this.fbs, 4, (fb, pos, count) => {
      this.sendCmds([fb.id + pos], false);
      this.sendCmds(fb.data.subarray(pos, pos + count), true);
    });
  }

  /** Command groups sent 100 ms apart at init. */
  protected abstract initSequence(): number[][];

  init(): void {
    const mcu = this.mcu();
    const pt = mcu.estimatedPrintTime(hostTime(this.printer));
    this.initSequence().forEach((cmds, i) => this.sendCmds(cmds, false, mcu.printTimeToClock(pt + i * 0.1)));
    this.flush();
  }

  setGlyphs(glyphs: Map<string, GlyphData>): void {
    this.icons = new Map([...glyphs].filter(([, g]) => g.icon5x8).map(([n, g]) => [n, g.icon5x8!]));
  }
  protected icons = new Map<string, [number, number[]]>();

  writeGlyph(x: number, y: number, name: string): number {
    const icon = this.icons.get(name);
    if (icon) {
      const [slot, rows] = icon;
      this.writeText(x, y, [slot]);
      this.glyphs.set(rows, slot * 8);
      return 1;
    }
    if (name === "right_arrow") {
      this.writeText(x, y, [0x7e]);
      return 1;
    }
    return 0;
  }

  writeGraphics(): void {}

  writeText(x: number, y: number, data: ArrayLike<number>): void {
    const len = Math.min(data.length, this.lineLength - Math.min(x, this.lineLength));
    const pos = x + ((y & 2) >> 1) * this.lineLength;
    for (let i = 0; i < len; i++) this.text[y & 1]![pos + i] = data[i]!;
  }

  clear(): void {
    for (const t of this.text) t.fill(0x20);
  }

  dimensions(): [number, number] {
    return [this.lineLength, 4];
  }
}

/** 4-bit / 2-line mode and home (or just home), then positive direction and display on without cursor. */
function hd44780Init(protocolInit: boolean): number[][] {
  return [...(protocolInit ? [[0x33], [0x33], [0x32], [0x28, 0x28, 0x02]] : [[0x02]]), [0x06, 0x0c]];
}

class Hd44780 extends Hd44780Base {
  private readonly protocolInit: boolean;
  private readonly mcuPort: McuPort;
  private readonly oid: number;
  private queue: unknown = null;

  constructor(config: ConfigSection, printer: Printer) {
    const [mcu, pins] = pinsOnOneMcu(printer, config, ["rs", "e", "d4", "d5", "d6", "d7"], "hd44780");
    super(config, printer);
    this.protocolInit = config.getBoolean("hd44780_protocol_init", true);
    this.mcuPort = mcu;
    this.oid = mcu.createOid();
    mcu.registerConfigCallback(() => {
      mcu.addConfigCmd(
        `config_hd44780 oid=${this.oid} rs_pin=${pins[0]} e_pin=${pins[1]} d4_pin=${pins[2]} d5_pin=${pins[3]}` +
          ` d6_pin=${pins[4]} d7_pin=${pins[5]} delay_ticks=${mcu.secondsToClock(0.000040)}`,
      );
      this.queue = mcu.allocCommandQueue();
    });
  }

  protected mcu(): McuPort {
    return this.mcuPort;
  }

  protected initSequence(): number[][] {
    return hd44780Init(this.protocolInit);
  }

  protected sendCmds(cmds: ArrayLike<number>, isData: boolean, minClock?: number): void {
    const req = minClock === undefined ? BACKGROUND_PRIORITY_CLOCK : 0;
    if (isData) sendBytes(this.mcuPort, "hd44780_send_data", this.oid, "data", cmds, this.queue, minClock ?? 0, req);
    else sendBytes(this.mcuPort, "hd44780_send_cmds", this.oid, "cmds", cmds, this.queue, minClock ?? 0, req);
  }
}

/** HD44780 behind a shift register on SPI (latch_pin): each nibble is clocked with the E bit. */
class Hd44780Spi extends Hd44780Base {
  private readonly protocolInit: boolean;
  private readonly spi: McuSpi;

  constructor(config: ConfigSection, printer: Printer) {
    const protocolInit = config.getBoolean("hd44780_protocol_init", true);
    const spi = spiFromConfig(config, printer, 0, { pinOption: "latch_pin" });
    super(config, printer);
    this.protocolInit = protocolInit;
    this.spi = spi;
  }

  protected mcu(): McuPort {
    return this.spi.mcu;
  }

  protected initSequence(): number[][] {
    return hd44780Init(this.protocolInit);
  }

  private nibble(value: number, isData: boolean, minClock: number): void {
    const mask = isData ? 1 << 1 : 0;
    const enable = 1 << 3;
    this.spi.send([(value & 0xf0) | mask], minClock);
    this.spi.send([(value & 0xf0) | mask | enable], minClock);
    this.spi.send([(value & 0xf0) | mask], minClock);
  }

  protected sendCmds(cmds: ArrayLike<number>, isData: boolean, minClock = 0): void {
    for (let i = 0; i < cmds.length; i++) {
      this.nibble(cmds[i]!, isData, minClock);
      this.nibble(cmds[i]! << 4, isData, minClock);
    }
  }
}

/** AiP31068 (YHCB2004) on SPI: 9-bit words (bit 8 = data), packed MSB first, 8 words per transfer. */
class Aip31068Spi extends Hd44780Base {
  private readonly spi: McuSpi;

  constructor(config: ConfigSection, printer: Printer) {
    const spi = spiFromConfig(config, printer, 0, { pinOption: "latch_pin" });
    super(config, printer);
    this.spi = spi;
  }

  protected mcu(): McuPort {
    return this.spi.mcu;
  }

  protected initSequence(): number[][] {
    // home, increment without shift, display on, cursor shifts right, 2 lines 5x8
    return [[0x02], [0x06], [0x0c], [0x14], [0x28]];
  }

  protected sendCmds(cmds: ArrayLike<number>, isData: boolean, minClock = 0): void {
    const words = Array.from(cmds, (b) => (isData ? 0x100 | b : b));
    const pad = 0x06; // "increment, no shift": harmless filler
    for (let i = 0; i < words.length; i += 8) {
      const group = words.slice(i, i + 8);
      while (group.length < 8) group.push(pad);
      this.spi.send(pack9(group), minClock);
    }
  }
}

/** Pack 9-bit words MSB first into bytes (the last byte zero-padded). */
export function pack9(words: number[]): number[] {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const w of words) {
    acc = (acc << 9) | w;
    bits += 9;
    while (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
      acc &= (1 << bits) - 1;
    }
  }
  if (bits > 0) out.push((acc << (8 - bits)) & 0xff);
  return out;
}

// ---- UC1701 family: 128x64 (SH1106: 132 columns) graphics in 8 pages ----

interface ByteLink {
  send(cmds: ArrayLike<number>, isData: boolean): void;
}

/** SPI with a data/command select line switched on the same command queue. */
class Spi4Wire implements ByteLink {
  readonly spi: McuSpi;
  private readonly dc: BusDigitalOut;
  constructor(config: ConfigSection, printer: Printer, dcOption: string) {
    this.spi = spiFromConfig(config, printer, 0, { defaultSpeed: 10000000 });
    this.dc = new BusDigitalOut(printer, this.spi.mcu, config.get(dcOption), this.spi.queue);
  }
  send(cmds: ArrayLike<number>, isData: boolean): void {
    this.dc.update(isData, 0, BACKGROUND_PRIORITY_CLOCK);
    this.spi.send(cmds, 0, BACKGROUND_PRIORITY_CLOCK);
  }
}

/** I2C: a control byte (0x00 commands, 0x40 data) before the bytes. */
class I2cLink implements ByteLink {
  constructor(readonly i2c: McuI2c) {}
  send(cmds: ArrayLike<number>, isData: boolean): void {
    this.i2c.write([isData ? 0x40 : 0x00, ...Array.from(cmds)], 0, BACKGROUND_PRIORITY_CLOCK);
  }
}

abstract class PagedDisplay implements LcdChip {
  private readonly vram: Uint8Array[];
  private readonly fbs: Framebuffer[];

  constructor(protected readonly link: ByteLink, columns = 128, private readonly xOffset = 0) {
    this.vram = Array.from({ length: 8 }, () => new Uint8Array(columns));
    this.fbs = this.vram.map((v, i) => ({ data: v, old: filled(columns, "~"), id: i }));
  }

  flush(): void {
    flushFramebuffers(this.fbs, 5, (fb, col, count) => {
      this.link.send([0xb0 | (fb.id & 0x0f), 0x10 | ((col >> 4) & 0x0f), col & 0x0f], false);
      this.link.send(fb.data.subarray(col, col + count), true);
    });
  }

  abstract init(): void;

  setGlyphs(): void {}

  /** Text needs an 8x14 font, which Stepline does not have yet: text is not drawn on these chips. */
  writeText(): void {}

  writeGlyph(): number {
    return 0;
  }

  /** A 8x16 cell: page 2y gets the top 8 rows, page 2y+1 the bottom 8, as column bytes (bit = row). */
  writeGraphics(x: number, y: number, rows: ArrayLike<number>): void {
    if (x >= 16 || y >= 4 || rows.length !== 16) return;
    const px = x * 8 + this.xOffset;
    for (let col = 0; col < 8; col++) {
      let top = 0;
      let bot = 0;
      for (let r = 0; r < 8; r++) {
        top |= ((rows[r]! >> (7 - col)) & 1) << r;
        bot |= ((rows[r + 8]! >> (7 - col)) & 1) << r;
      }
      this.vram[y * 2]![px + col]! ^= top;
      this.vram[y * 2 + 1]![px + col]! ^= bot;
    }
  }

  clear(): void {
    for (const v of this.vram) v.fill(0);
  }

  dimensions(): [number, number] {
    return [16, 4];
  }
}

class Uc1701 extends PagedDisplay {
  private readonly contrast: number;
  private readonly reset: ResetPulse | null;
  constructor(config: ConfigSection, private readonly printer: Printer) {
    const io = new Spi4Wire(config, printer, "a0_pin");
    super(io);
    this.contrast = config.getInt("contrast", 40, { minval: 0, maxval: 63 });
    const rst = config.get("rst_pin", null);
    this.reset = rst === null ? null : new ResetPulse(printer, io.spi.mcu, rst, io.spi.queue);
  }
  init(): void {
    this.reset?.pulse(this.printer);
    // reset, start line 0, SEG/COM direction, bias 1/9, booster/regulator/follower on, booster 4x,
    // resistor ratio 3, contrast, static indicator off, NOP, no inverse, display on
    this.link.send([0xe2, 0x40, 0xa0, 0xc8, 0xa2, 0x2c, 0x2e, 0x2f, 0xf8, 0x00, 0x23, 0x81, this.contrast, 0xac, 0x00, 0xa6, 0xaf], false);
    this.link.send([0xa5], false); // all pixels on
    this.link.send([0xa4], false); // normal display
    this.flush();
  }
}

class Ssd1306 extends PagedDisplay {
  private readonly contrast: number;
  private readonly vcomh: number;
  private readonly invert: boolean;
  private readonly reset: ResetPulse | null;

  constructor(config: ConfigSection, private readonly printer: Printer, columns = 128, xOffset = 0) {
    let link: ByteLink;
    let mcu: McuPort;
    let queue: unknown;
    if (config.get("cs_pin", null) === null) {
      const i2c = i2cFromConfig(config, printer, 60, 400000);
      link = new I2cLink(i2c);
      mcu = i2c.mcu;
      queue = i2c.queue;
    } else {
      const spi = new Spi4Wire(config, printer, "dc_pin");
      link = spi;
      mcu = spi.spi.mcu;
      queue = spi.spi.queue;
    }
    const rst = config.get("reset_pin", null);
    const reset = rst === null ? null : new ResetPulse(printer, mcu, rst, queue);
    super(link, columns, xOffset);
    this.reset = reset;
    this.contrast = config.getInt("contrast", 239, { minval: 0, maxval: 255 });
    this.vcomh = config.getInt("vcomh", 0, { minval: 0, maxval: 63 });
    this.invert = config.getBoolean("invert", false);
  }

  init(): void {
    this.reset?.pulse(this.printer);
    // display off, oscillator, multiplex 64, offset 0, start line 0, charge pump on, page
    // addressing, segment remap, COM scan direction, COM pins, contrast, pre-charge, VCOMH,
    // no scroll, RAM to display, normal/inverted, display on
    this.link.send([
      0xae, 0xd5, 0x80, 0xa8, 0x3f, 0xd3, 0x00, 0x40, 0x8d, 0x14, 0x20, 0x02, 0xa1, 0xc8, 0xda, 0x12,
      0x81, this.contrast, 0xd9, 0xa1, 0xdb, this.vcomh, 0x2e, 0xa4, this.invert ? 0xa7 : 0xa6, 0xaf,
    ], false);
    this.flush();
  }
}

class Sh1106 extends Ssd1306 {
  constructor(config: ConfigSection, printer: Printer) {
    super(config, printer, 132, config.getInt("x_offset", 0, { minval: 0, maxval: 3 }));
  }
}

export const LCD_TYPES: Record<string, (config: ConfigSection, printer: Printer) => LcdChip> = {
  st7920: (c, p) => new St7920(c, p),
  emulated_st7920: (c, p) => new EmulatedSt7920(c, p),
  hd44780: (c, p) => new Hd44780(c, p),
  hd44780_spi: (c, p) => new Hd44780Spi(c, p),
  aip31068_spi: (c, p) => new Aip31068Spi(c, p),
  uc1701: (c, p) => new Uc1701(c, p),
  ssd1306: (c, p) => new Ssd1306(c, p),
  sh1106: (c, p) => new Sh1106(c, p),
};
