// SPI and I2C devices on an MCU (config_spi / spi_set_bus / spi_send / spi_transfer,
// config_i2c / i2c_set_bus / i2c_write), configured from a config section the way klippy's
// bus helpers do: hardware bus names checked against the firmware's enumerations (and the bus
// pins reserved), software buses from *_software_*_pin options, and a bus-synchronized
// digital output for chips with extra control lines.
import type { ConfigSection } from "../../core/config/section.ts";
import type { McuCommandQueue, McuPort } from "../../core/mcu-pins/mcu-port.ts";
import { PinError } from "../../core/pins.ts";
import type { Printer } from "../../core/printer.ts";

const hex = (data: ArrayLike<number>) => Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("");

/** The part of a live Mcu used for request/response commands (absent in batch mode). */
interface QueryCapable {
  query(line: string, response: string, opts?: { oid?: number | null; minClock?: number; reqClock?: number; queue?: McuCommandQueue }): Promise<{ params: Record<string, unknown>; receiveTime?: number }>;
}

/** An MCU of a pin description, which must be an MCU (not an expander chip). */
export function pinMcu(params: { chip: unknown; chipName: string }): McuPort {
  const chip = params.chip as Partial<McuPort>;
  if (typeof chip.createOid !== "function" || typeof chip.addConfigCmd !== "function") throw new PinError(`Pin chip '${params.chipName}' is not an MCU`);
  return chip as McuPort;
}

/** The MCU called `name` in the config ("mcu", "z", ...). */
export function lookupMcu(printer: Printer, name: string): McuPort {
  const obj = printer.lookupObject<Partial<McuPort> | null>(name === "mcu" ? "mcu" : `mcu ${name}`, null);
  if (!obj) throw new PinError(`Unknown mcu name '${name}'`);
  if (typeof obj.createOid !== "function") throw new PinError(`MCU '${name}' is not available (no data dictionary or connection)`);
  return obj as McuPort;
}

function enumerations(mcu: McuPort): Record<string, Record<string, unknown>> {
  return ((mcu.dict?.json as { enumerations?: Record<string, Record<string, unknown>> } | undefined)?.enumerations) ?? {};
}

/** The firmware's name for a hardware bus (default: the one numbered 0); reserves its pins. */
function resolveBusName(printer: Printer, mcu: McuPort, param: string, bus: string | null): string {
  const enumName = enumerations(mcu)[param] ? param : "bus";
  const enums = enumerations(mcu)[enumName];
  if (!enums) return bus ?? "0";
  if (bus === null) {
    const first = Object.entries(enums).find(([, v]) => v === 0 || (Array.isArray(v) && v[0] === 0));
    if (!first) throw new PinError(`Must specify ${param} on mcu '${mcu.name}'`);
    bus = first[0];
  }
  // Ranges ("usart0": [1, 2]) stand for usart0, usart1: the dictionary resolves them
  const dict = mcu.dict as unknown as { enumValue?(e: string, s: string): number };
  let known = bus in enums;
  if (!known && typeof dict.enumValue === "function") {
    try {
      dict.enumValue(enumName, bus);
      known = true;
    } catch {
      known = false;
    }
  }
  if (!known) throw new PinError(`Unknown ${param} '${bus}'`);
  const reserved = (mcu.dict.json as { config?: Record<string, unknown> }).config?.[`BUS_PINS_${bus}`];
  if (typeof reserved === "string") {
    const resolver = printer.pins.getPinResolver(mcu.name);
    for (const pin of reserved.split(",")) resolver.reservePin(pin, bus);
  }
  return bus;
}

function hasCommand(mcu: McuPort, name: string): boolean {
  return typeof mcu.dict?.hasCommand === "function" && mcu.dict.hasCommand(name);
}

/**
 * A bus set-up line once the MCU's dictionary is known: %BUS% becomes the hardware bus's name; a
 * software bus gets pulse_ticks, or on firmware without `<kind>_set_sw_bus` becomes
 * `<kind>_set_software_bus` with a rate.
 */
function resolveBusLine(
  printer: Printer, mcu: McuPort, kind: "spi" | "i2c", template: string, bus: string | null, speed: number, pulseTime: number,
): string {
  let line = template;
  if (line.includes("%BUS%")) line = line.replace("%BUS%", resolveBusName(printer, mcu, `${kind}_bus`, bus));
  if (line.includes("%TICKS%")) {
    if (!hasCommand(mcu, `${kind}_set_sw_bus`)) line = line.replace(`${kind}_set_sw_bus`, `${kind}_set_software_bus`).replace(/pulse_ticks=%TICKS%/, `rate=${speed}`);
    else line = line.replace("%TICKS%", String(mcu.secondsToClock(pulseTime)));
  }
  return line;
}

function sendLine(mcu: McuPort, name: string, params: Record<string, number | Uint8Array>, queue: McuCommandQueue, minClock = 0, reqClock = 0): void {
  mcu.sendCommand(mcu.dict.encodeCommand(name, params), { minClock, reqClock, queue });
}

function liveQuery(mcu: McuPort, what: string): QueryCapable {
  const q = mcu as unknown as Partial<QueryCapable>;
  if (mcu.isBatch() || typeof q.query !== "function") throw new Error(`${what} needs a live MCU (MCU '${mcu.name}' is in batch mode)`);
  return q as QueryCapable;
}

export class McuSpi {
  readonly oid: number;
  readonly queue: McuCommandQueue;
  private configured = false;
  private busLine: string;

  constructor(
    private readonly printer: Printer,
    readonly mcu: McuPort,
    private readonly bus: string | null,
    csPin: string | null,
    mode: number,
    private readonly speed: number,
    swPins: [string, string, string] | null = null,
    csActiveHigh = false,
  ) {
    this.oid = mcu.createOid();
    // CS pins are configured (inactive) before any bus is set up
    if (csPin === null) mcu.addConfigCmd(`config_spi_without_cs oid=${this.oid}`);
    else mcu.addConfigCmd(`config_spi oid=${this.oid} pin=${csPin} cs_active_high=${csActiveHigh ? 1 : 0}`);
    this.busLine = swPins
      ? `spi_set_sw_bus oid=${this.oid} miso_pin=${swPins[0]} mosi_pin=${swPins[1]} sclk_pin=${swPins[2]} mode=${mode} pulse_ticks=%TICKS%`
      : `spi_set_bus oid=${this.oid} spi_bus=%BUS% mode=${mode} rate=${speed}`;
    this.queue = mcu.allocCommandQueue();
    mcu.registerConfigCallback(() => this.buildConfig());
  }

  private buildConfig(): void {
    this.mcu.addConfigCmd(resolveBusLine(this.printer, this.mcu, "spi", this.busLine, this.bus, this.speed, 1 / this.speed));
    this.configured = true;
  }

  /** Write bytes; before the config is built they go out with the MCU's init commands. */
  send(data: ArrayLike<number>, minClock = 0, reqClock = 0): void {
    if (!this.configured) {
      this.mcu.addConfigCmd(`spi_send oid=${this.oid} data=${hex(data)}`, { isInit: true });
      return;
    }
    sendLine(this.mcu, "spi_send", { oid: this.oid, data: Uint8Array.from(data) }, this.queue, minClock, reqClock);
  }

  /** Write bytes and return the bytes read back at the same time (live MCU only). */
  async transfer(data: ArrayLike<number>, minClock = 0, reqClock = 0): Promise<{ response: Uint8Array; receiveTime: number }> {
    const q = liveQuery(this.mcu, "SPI transfer");
    const resp = await q.query(`spi_transfer oid=${this.oid} data=${hex(data)}`, "spi_transfer_response", { oid: this.oid, minClock, reqClock, queue: this.queue });
    return { response: resp.params.response as Uint8Array, receiveTime: resp.receiveTime ?? 0 };
  }
}

export interface SpiConfigOptions {
  pinOption?: string;
  defaultSpeed?: number;
  shareType?: string | null;
  csActiveHigh?: boolean;
}

/** An SPI device from cs_pin, spi_speed and spi_bus / spi_software_{miso,mosi,sclk}_pin. */
export function spiFromConfig(config: ConfigSection, printer: Printer, mode: number, opts: SpiConfigOptions = {}): McuSpi {
  const pins = printer.pins;
  const owner = config.getName();
  const csParams = pins.lookupPin(config.get(opts.pinOption ?? "cs_pin"), { shareType: opts.shareType ?? null, owner });
  let cs: string | null = csParams.pin;
  if (cs === "None") {
    pins.resetPinSharing(csParams);
    cs = null;
  }
  const mcu = pinMcu(csParams);
  const speed = config.getInt("spi_speed", opts.defaultSpeed ?? 100000, { minval: 100000 });
  let swPins: [string, string, string] | null = null;
  let bus: string | null = null;
  if (config.get("spi_software_sclk_pin", null) !== null) {
    swPins = (["miso", "mosi", "sclk"] as const).map((n) => {
      const p = pins.lookupPin(config.get(`spi_software_${n}_pin`), { shareType: `spi_software_${n}_pin`, owner });
      if (p.chip !== (mcu as unknown)) throw new PinError(`${owner}: spi pins must be on same mcu`);
      return p.pin;
    }) as [string, string, string];
  } else bus = config.get("spi_bus", null);
  return new McuSpi(printer, mcu, bus, cs, mode, speed, swPins, opts.csActiveHigh ?? false);
}

export class McuI2c {
  readonly oid: number;
  readonly queue: McuCommandQueue;
  private configured = false;
  private busLine: string;
  private readonly pending: Uint8Array[] = [];

  constructor(
    private readonly printer: Printer,
    readonly mcu: McuPort,
    private readonly bus: string | null,
    readonly address: number,
    private readonly speed: number,
    swPins: [string, string] | null = null,
  ) {
    this.oid = mcu.createOid();
    mcu.addConfigCmd(`config_i2c oid=${this.oid}`);
    this.busLine = swPins
      ? `i2c_set_sw_bus oid=${this.oid} scl_pin=${swPins[0]} sda_pin=${swPins[1]} pulse_ticks=%TICKS% address=${address}`
      : `i2c_set_bus oid=${this.oid} i2c_bus=%BUS% rate=${speed} address=${address}`;
    this.queue = mcu.allocCommandQueue();
    mcu.registerConfigCallback(() => this.buildConfig());
    printer.registerEventHandler("klippy:connect", () => {
      for (const data of this.pending.splice(0)) this.write(data);
    });
  }

  private buildConfig(): void {
    // pulse_ticks is half an I2C clock period
    this.mcu.addConfigCmd(resolveBusLine(this.printer, this.mcu, "i2c", this.busLine, this.bus, this.speed, 1 / this.speed / 2));
    this.configured = true;
  }

  /** Write bytes to the device (queued until connect when the config is not built yet). */
  write(data: ArrayLike<number>, minClock = 0, reqClock = 0): void {
    const bytes = Uint8Array.from(data);
    if (!this.configured) {
      this.pending.push(bytes);
      return;
    }
    // Newer firmware has i2c_transfer (write + optional read); older has i2c_write
    if (hasCommand(this.mcu, "i2c_transfer")) sendLine(this.mcu, "i2c_transfer", { oid: this.oid, write: bytes, read_len: 0 }, this.queue, minClock, reqClock);
    else sendLine(this.mcu, "i2c_write", { oid: this.oid, data: bytes }, this.queue, minClock, reqClock);
  }
}

/** An I2C device from i2c_mcu, i2c_address, i2c_speed and i2c_bus / i2c_software_{scl,sda}_pin. */
export function i2cFromConfig(config: ConfigSection, printer: Printer, defaultAddr: number | null = null, defaultSpeed = 100000): McuI2c {
  const mcu = lookupMcu(printer, config.get("i2c_mcu", "mcu"));
  const speed = config.getInt("i2c_speed", defaultSpeed, { minval: 100000 });
  const addr = defaultAddr === null ? config.getInt("i2c_address", undefined, { minval: 0, maxval: 127 }) : config.getInt("i2c_address", defaultAddr, { minval: 0, maxval: 127 });
  let swPins: [string, string] | null = null;
  let bus: string | null = null;
  if (config.get("i2c_software_scl_pin", null) !== null) {
    swPins = (["scl", "sda"] as const).map((n) => {
      const p = printer.pins.lookupPin(config.get(`i2c_software_${n}_pin`), { shareType: `i2c_software_${n}_pin`, owner: config.getName() });
      if (p.chip !== (mcu as unknown)) throw new PinError(`${config.getName()}: i2c pins must be on same mcu`);
      return p.pin;
    }) as [string, string];
  } else bus = config.get("i2c_bus", null);
  return new McuI2c(printer, mcu, bus, addr, speed, swPins);
}

/** A digital output whose updates travel on another device's command queue (display control lines). */
export class BusDigitalOut {
  readonly oid: number;
  private configured = false;

  constructor(printer: Printer, readonly mcu: McuPort, pinDesc: string, private readonly queue: McuCommandQueue, value = 0) {
    this.oid = mcu.createOid();
    const params = printer.pins.lookupPin(pinDesc);
    if (params.chip !== (mcu as unknown)) throw new PinError(`Pin ${pinDesc} must be on mcu ${mcu.name}`);
    mcu.addConfigCmd(`config_digital_out oid=${this.oid} pin=${params.pin} value=${value} default_value=${value} max_duration=0`);
    mcu.registerConfigCallback(() => {
      this.configured = true;
    });
  }

  update(value: number | boolean, minClock = 0, reqClock = 0): void {
    const v = value ? 1 : 0;
    if (!this.configured) {
      this.mcu.addConfigCmd(`update_digital_out oid=${this.oid} value=${v}`);
      return;
    }
    this.mcu.sendCommand(this.mcu.dict.encodeCommand("update_digital_out", { oid: this.oid, value: v }), { minClock, reqClock, queue: this.queue });
  }
}
