// TMC single-wire UART (TMC2208/2209/2240): the MCU bit-bangs datagrams on uart_pin (tx_pin)
// with config_tmcuart / tmcuart_send. Several drivers may share one line, told apart by
// uart_address or by analog-mux select_pins. Datagrams: sync, address, register, [4 data bytes],
// CRC8 (polynomial 0x07, LSB-first bytes), each byte framed with start and stop bits.
import type { ConfigSection } from "../../core/config/section.ts";
import { ConfigError } from "../../core/config/errors.ts";
import { GCodeError } from "../../core/gcode/errors.ts";
import type { McuCommandQueue, McuPort } from "../../core/mcu-pins/mcu-port.ts";
import { PinError, type PinParams } from "../../core/pins.ts";
import type { Printer } from "../../core/printer.ts";
import { pinMcu } from "../bus/bus.ts";
import { type RegisterRead, SharedByPin, type TmcBus } from "./tmc-bus.ts";
import type { MaybePromise } from "../../util/maybe-async.ts";

const BAUD = 40000;
const BAUD_AVR = 9000;

export function crc8Atm(data: ArrayLike<number>): number {
  let crc = 0;
  for (let i = 0; i < data.length; i++) {
    let b = data[i]!;
    for (let bit = 0; bit < 8; bit++) {
      crc = ((crc >> 7) ^ (b & 1)) ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
      b >>= 1;
    }
  }
  return crc;
}

/** Frame each byte as start bit (0), 8 data bits LSB first, stop bit (1), packed LSB first. */
export function addSerialBits(data: ArrayLike<number>): Uint8Array {
  const bits: number[] = [];
  for (let i = 0; i < data.length; i++) {
    bits.push(0);
    for (let b = 0; b < 8; b++) bits.push((data[i]! >> b) & 1);
    bits.push(1);
  }
  const out = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((bit, i) => {
    out[i >> 3]! |= bit << (i & 7);
  });
  return out;
}

function withCrc(bytes: number[]): Uint8Array {
  return addSerialBits([...bytes, crc8Atm(bytes)]);
}

export function encodeRead(sync: number, addr: number, reg: number): Uint8Array {
  return withCrc([sync, addr, reg]);
}

export function encodeWrite(sync: number, addr: number, reg: number, val: number): Uint8Array {
  return withCrc([sync, addr, reg, (val >>> 24) & 0xff, (val >>> 16) & 0xff, (val >>> 8) & 0xff, val & 0xff]);
}

/** The register value of a read reply (10 framed bytes), or null if framing or CRC is wrong. */
export function decodeRead(reg: number, data: Uint8Array): number | null {
  if (data.length !== 10) return null;
  const bit = (i: number) => (data[i >> 3]! >> (i & 7)) & 1;
  const byteAt = (n: number) => {
    let v = 0;
    for (let b = 0; b < 8; b++) v |= bit(n * 10 + 1 + b) << b;
    return v;
  };
  const val = ((byteAt(3) << 24) | (byteAt(4) << 16) | (byteAt(5) << 8) | byteAt(6)) >>> 0;
  const expect = encodeWrite(0x05, 0xff, reg, val);
  return expect.every((b, i) => b === data[i]) ? val : null;
}

interface LiveMcu {
  query(line: string, response: string, opts?: { oid?: number | null; minClock?: number; queue?: McuCommandQueue }): Promise<{ params: Record<string, unknown>; receiveTime?: number }>;
}

const hex = (data: Uint8Array) => Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("");

/** Select pins of an analog mux in front of a shared UART line. */
class AnalogMux {
  readonly oids: number[];
  private values: number[];
  constructor(private readonly mcu: McuPort, private readonly queue: McuCommandQueue, readonly pins: string[]) {
    this.oids = pins.map(() => mcu.createOid());
    this.values = pins.map(() => -1);
    pins.forEach((pin, i) => mcu.addConfigCmd(`config_digital_out oid=${this.oids[i]} pin=${pin} value=0 default_value=0 max_duration=0`));
  }
  activate(instance: number[]): void {
    instance.forEach((v, i) => {
      if (this.values[i] !== v) this.mcu.sendCommand(this.mcu.dict.encodeCommand("update_digital_out", { oid: this.oids[i]!, value: v }), { queue: this.queue });
    });
    this.values = [...instance];
  }
}

/** One bit-banged UART line on an MCU (shared by every driver on the same pins). */
class TmcUartLine {
  readonly oid: number;
  readonly queue: McuCommandQueue;
  readonly mux: AnalogMux | null;
  private readonly instances = new Set<string>();
  /** Serializes transactions on this MCU's line. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly mcu: McuPort, readonly rxPin: string, readonly txPin: string, readonly pullup: number, selectPins: string[] | null) {
    this.oid = mcu.createOid();
    this.queue = mcu.allocCommandQueue();
    this.mux = selectPins ? new AnalogMux(mcu, this.queue, selectPins) : null;
    mcu.registerConfigCallback(() => {
      const type = String(mcu.getConstant("MCU") ?? "");
      const baud = type.startsWith("atmega") || type.startsWith("at90usb") ? BAUD_AVR : BAUD;
      mcu.addConfigCmd(`config_tmcuart oid=${this.oid} rx_pin=${this.rxPin} pull_up=${this.pullup} tx_pin=${this.txPin} bit_time=${mcu.secondsToClock(1 / baud)}`);
    });
  }

  register(rxPin: string, txPin: string, instance: number[] | null, addr: number): void {
    if (rxPin !== this.rxPin || txPin !== this.txPin || (instance === null) !== (this.mux === null))
      throw new ConfigError("Shared TMC uarts must use the same pins");
    const key = `${JSON.stringify(instance)}/${addr}`;
    if (this.instances.has(key)) throw new ConfigError("Shared TMC uarts need unique address or select_pins polarity");
    this.instances.add(key);
  }

  private live(): LiveMcu {
    const m = this.mcu as unknown as Partial<LiveMcu>;
    if (this.mcu.isBatch() || typeof m.query !== "function") throw new GCodeError(`TMC uart on MCU '${this.mcu.name}' needs a live MCU`);
    return m as LiveMcu;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  read(instance: number[] | null, addr: number, reg: number): Promise<{ data: number | null; receiveTime: number }> {
    return this.exclusive(async () => {
      if (this.mux && instance) this.mux.activate(instance);
      const msg = encodeRead(0xf5, addr, reg);
      const r = await this.live().query(`tmcuart_send oid=${this.oid} write=${hex(msg)} read=10`, "tmcuart_response", { oid: this.oid, queue: this.queue });
      return { data: decodeRead(reg, r.params.read as Uint8Array), receiveTime: r.receiveTime ?? 0 };
    });
  }

  write(instance: number[] | null, addr: number, reg: number, val: number, minClock: number): Promise<void> {
    return this.exclusive(async () => {
      if (this.mux && instance) this.mux.activate(instance);
      const msg = encodeWrite(0xf5, addr, reg | 0x80, val);
      await this.live().query(`tmcuart_send oid=${this.oid} write=${hex(msg)} read=0`, "tmcuart_response", { oid: this.oid, minClock, queue: this.queue });
    });
  }
}

const lines = new SharedByPin<TmcUartLine>();

/** A driver's access to registers over a (possibly shared) TMC UART line. */
export class TmcUart implements TmcBus {
  private readonly line: TmcUartLine;
  private readonly instance: number[] | null;
  private readonly addr: number;
  private ifcnt: number | null = null;

  constructor(config: ConfigSection, private readonly printer: Printer, private readonly name: string, private readonly addresses: Record<string, number>, maxAddr: number) {
    const pins = printer.pins;
    const owner = config.getName();
    const rx = pins.lookupPin(config.get("uart_pin"), { canPullup: true, shareType: "tmc_uart_rx", owner });
    const txDesc = config.get("tx_pin", null);
    const tx = txDesc === null ? rx : pins.lookupPin(txDesc, { shareType: "tmc_uart_tx", owner });
    if (rx.chip !== tx.chip) throw new PinError("TMC uart rx and tx pins must be on the same mcu");
    const mcu = pinMcu(rx);
    const selectDescs = config.getList("select_pins", null);
    this.addr = config.getInt("uart_address", 0, { minval: 0, maxval: maxAddr });
    const line = lines.get(printer, `${rx.chipName}:${rx.pin}`, () => {
      const sel = selectDescs?.map((d) => pins.lookupPin(d, { canInvert: true, owner }).pin) ?? null;
      return new TmcUartLine(mcu, rx.pin, tx.pin, rx.pullup, sel);
    });
    this.instance = selectDescs ? muxInstance(selectDescs.map((d) => pins.parsePin(d, true)), line, mcu) : null;
    line.register(rx.pin, tx.pin, this.instance, this.addr);
    this.line = line;
  }

  get mcu(): McuPort {
    return this.line.mcu;
  }

  private batch(): boolean {
    return this.printer.startArgs.debugoutput !== undefined;
  }

  private async readOnce(regName: string): Promise<{ data: number; receiveTime: number }> {
    const reg = this.addresses[regName]!;
    for (let retry = 0; retry < 5; retry++) {
      const r = await this.line.read(this.instance, this.addr, reg);
      if (r.data !== null) return { data: r.data, receiveTime: r.receiveTime };
    }
    throw new GCodeError(`Unable to read tmc uart '${this.name}' register ${regName}`);
  }

  getRegister(regName: string): MaybePromise<RegisterRead> {
    // Batch output has nothing to read from: registers read as zero, like klippy
    if (this.batch()) return { data: 0, receiveTime: 0 };
    return this.readOnce(regName);
  }

  /** Write and confirm through the interface transmission counter (IFCNT); nothing in batch output. */
  setRegister(regName: string, val: number, printTime: number | null = null): MaybePromise<void> {
    if (this.batch()) return;
    return this.writeLive(regName, val, printTime);
  }

  private async writeLive(regName: string, val: number, printTime: number | null): Promise<void> {
    const reg = this.addresses[regName]!;
    const minClock = printTime === null ? 0 : this.mcu.printTimeToClock(printTime);
    for (let retry = 0; retry < 5; retry++) {
      const before = this.ifcnt ?? (this.ifcnt = (await this.readOnce("IFCNT")).data);
      await this.line.write(this.instance, this.addr, reg, val, minClock);
      this.ifcnt = (await this.readOnce("IFCNT")).data;
      if (this.ifcnt === ((before + 1) & 0xff)) return;
    }
    throw new GCodeError(`Unable to write tmc uart '${this.name}' register ${regName}`);
  }
}

function muxInstance(params: PinParams[], line: TmcUartLine, mcu: McuPort): number[] {
  for (const p of params) if ((p.chip as unknown) !== mcu) throw new ConfigError("TMC mux pins must be on the same mcu");
  if (!line.mux || params.map((p) => p.pin).join() !== line.mux.pins.join()) throw new ConfigError("All TMC mux instances must use identical pins");
  return params.map((p) => (p.invert ? 0 : 1));
}
