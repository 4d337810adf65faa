// How a TMC driver reaches its registers: over SPI (optionally daisy-chained) or the TMC UART.
// In batch mode (debugoutput) reads return zero and writes produce exactly what klippy writes:
// nothing on the UART, spi_send messages on SPI.
import { ConfigError } from "../../core/config/errors.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import { GCodeError } from "../../core/gcode/errors.ts";
import type { McuPort } from "../../core/mcu-pins/mcu-port.ts";
import type { Printer } from "../../core/printer.ts";
import { type McuSpi, spiFromConfig } from "../bus/bus.ts";
import type { MaybePromise } from "../../util/maybe-async.ts";

export interface RegisterRead {
  data: number;
  receiveTime: number;
}

/** Register access; synchronous in batch output (nothing to wait for), Promises on a live MCU. */
export interface TmcBus {
  readonly mcu: McuPort;
  getRegister(regName: string): MaybePromise<RegisterRead>;
  setRegister(regName: string, val: number, printTime?: number | null): MaybePromise<void>;
}

const bytes32 = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

/** One SPI device carrying a chain of `length` drivers (5-byte frames, last in chain sent first). */
class SpiChain {
  readonly positions = new Set<number>();
  constructor(readonly spi: McuSpi, readonly length: number) {}

  frame(data: number[], pos: number): number[] {
    return [...new Array((this.length - pos) * 5).fill(0), ...data, ...new Array((pos - 1) * 5).fill(0)];
  }

  slice(resp: Uint8Array, pos: number): number[] {
    const start = (this.length - pos) * 5;
    return Array.from(resp.subarray(start, start + 5));
  }
}

/** What the drivers of one printer share by pin (a daisy-chained CS pin, a UART line): made by the first. */
export class SharedByPin<T> {
  private readonly byPrinter = new WeakMap<Printer, Map<string, T>>();

  get(printer: Printer, key: string, make: () => T): T {
    let byKey = this.byPrinter.get(printer);
    if (!byKey) this.byPrinter.set(printer, (byKey = new Map()));
    let shared = byKey.get(key);
    if (shared === undefined) {
      shared = make();
      byKey.set(key, shared);
    }
    return shared;
  }
}

const chains = new SharedByPin<SpiChain>();

export class TmcSpi implements TmcBus {
  private readonly chain: SpiChain;
  private readonly pos: number;

  constructor(config: ConfigSection, private readonly printer: Printer, private readonly name: string, private readonly addresses: Record<string, number>) {
    const length = config.getInt("chain_length", null, { minval: 2 });
    if (length === null) {
      this.chain = new SpiChain(spiFromConfig(config, printer, 3, { defaultSpeed: 4000000 }), 1);
      this.pos = 1;
      return;
    }
    // Daisy chain: the drivers share one CS pin and one SPI device
    const cs = printer.pins.lookupPin(config.get("cs_pin"), { shareType: "tmc_spi_cs", owner: config.getName() });
    const chain = chains.get(printer, `${cs.chipName}:${cs.pin}`, () =>
      new SpiChain(spiFromConfig(config, printer, 3, { defaultSpeed: 4000000, shareType: "tmc_spi_cs" }), length));
    if (chain.length !== length) throw new ConfigError("TMC SPI chain must have same length");
    const pos = config.getInt("chain_position", undefined, { minval: 1, maxval: length });
    if (chain.positions.has(pos)) throw new ConfigError("TMC SPI chain can not have duplicate position");
    chain.positions.add(pos);
    this.chain = chain;
    this.pos = pos;
  }

  get mcu(): McuPort {
    return this.chain.spi.mcu;
  }

  private batch(): boolean {
    return this.printer.startArgs.debugoutput !== undefined;
  }

  getRegister(regName: string): MaybePromise<RegisterRead> {
    const cmd = this.chain.frame([this.addresses[regName]!, 0, 0, 0, 0], this.pos);
    // The read request goes out first; the reply comes with the next transfer
    this.chain.spi.send(cmd);
    if (this.batch()) return { data: 0, receiveTime: 0 };
    return this.readLive(cmd);
  }

  private async readLive(cmd: number[]): Promise<RegisterRead> {
    const r = await this.chain.spi.transfer(cmd);
    const b = this.chain.slice(r.response, this.pos);
    return { data: ((b[1]! << 24) | (b[2]! << 16) | (b[3]! << 8) | b[4]!) >>> 0, receiveTime: r.receiveTime };
  }

  setRegister(regName: string, val: number, printTime: number | null = null): MaybePromise<void> {
    const minClock = printTime === null ? 0 : this.mcu.printTimeToClock(printTime);
    const cmd = this.chain.frame([(this.addresses[regName]! | 0x80) & 0xff, ...bytes32(val)], this.pos);
    if (this.batch()) {
      this.chain.spi.send(cmd, minClock);
      return;
    }
    return this.writeLive(regName, cmd, val, minClock);
  }

  private async writeLive(regName: string, cmd: number[], val: number, minClock: number): Promise<void> {
    for (let retry = 0; retry < 5; retry++) {
      this.chain.spi.send(cmd, minClock);
      const r = await this.chain.spi.transfer(this.chain.frame([0, 0, 0, 0, 0], this.pos));
      const b = this.chain.slice(r.response, this.pos);
      if ((((b[1]! << 24) | (b[2]! << 16) | (b[3]! << 8) | b[4]!) >>> 0) === val) return;
    }
    throw new GCodeError(`Unable to write tmc spi '${this.name}' register ${regName}`);
  }
}

/** TMC2660: 20-bit datagrams; reads select the reply through DRVCONF.RDSEL. */
export class Tmc2660Spi implements TmcBus {
  private readonly spi: McuSpi;

  constructor(
    config: ConfigSection,
    private readonly printer: Printer,
    private readonly addresses: Record<string, number>,
    private readonly readable: string[],
    private readonly fields: { getField(f: string): number; setField(f: string, v: number): number },
  ) {
    this.spi = spiFromConfig(config, printer, 0, { defaultSpeed: 4000000 });
  }

  get mcu(): McuPort {
    return this.spi.mcu;
  }

  private msg(reg: number, val: number): number[] {
    return [(Math.floor(val / 65536) | reg) & 0xff, (val >>> 8) & 0xff, val & 0xff];
  }

  getRegister(regName: string): MaybePromise<RegisterRead> {
    if (this.printer.startArgs.debugoutput !== undefined) return { data: 0, receiveTime: 0 };
    return this.readLive(regName);
  }

  private async readLive(regName: string): Promise<RegisterRead> {
    const rdsel = this.readable.indexOf(regName);
    const old = this.fields.getField("rdsel");
    const val = this.fields.setField("rdsel", rdsel);
    const msg = this.msg(this.addresses.DRVCONF!, val);
    if (rdsel !== old) this.spi.send(msg);
    const r = await this.spi.transfer(msg);
    return { data: (r.response[0]! << 16) | (r.response[1]! << 8) | r.response[2]!, receiveTime: r.receiveTime };
  }

  setRegister(regName: string, val: number, printTime: number | null = null): void {
    const minClock = printTime === null ? 0 : this.mcu.printTimeToClock(printTime);
    this.spi.send(this.msg(this.addresses[regName]!, val), minClock);
  }
}
