// Register access to an accelerometer chip over its SPI or I2C device (from the shared bus helpers):
// read one register, write one register. Reads always need a live MCU; in batch mode only the
// device's config commands exist.
import { GCodeError } from "../../core/gcode/errors.ts";
import type { McuCommandQueue, McuPort } from "../../core/mcu-pins/mcu-port.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import type { Printer } from "../../core/printer.ts";
import { i2cFromConfig, type McuI2c, type McuSpi, spiFromConfig } from "../bus/bus.ts";

/** The firmware's bus_oid_type enumeration (chips that accept either bus). */
export type BusType = "spi" | "i2c";

export interface RegisterBus {
  readonly type: BusType;
  readonly mcu: McuPort;
  /** Oid of the SPI/I2C device. */
  readonly oid: number;
  readonly queue: McuCommandQueue;
  readReg(reg: number): Promise<number>;
  writeReg(reg: number, val: number, minClock?: number): Promise<void>;
}

interface LiveQuery {
  query(line: string, response: string, opts?: { oid?: number | null; minClock?: number; queue?: McuCommandQueue }): Promise<{ params: Record<string, unknown> }>;
}

const hex = (data: ArrayLike<number>) => Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("");

/** SPI chips flag a register read with the top bit of the register address. */
const SPI_READ = 0x80;

/** `waitWrites`: a write is a transfer, so it has happened when the promise resolves. */
export function spiRegisterBus(spi: McuSpi, waitWrites = false): RegisterBus {
  return {
    type: "spi",
    mcu: spi.mcu,
    oid: spi.oid,
    queue: spi.queue,
    async readReg(reg) {
      const r = await spi.transfer([reg | SPI_READ, 0x00]);
      return r.response[1]!;
    },
    async writeReg(reg, val, minClock = 0) {
      if (waitWrites) await spi.transfer([reg, val & 0xff], minClock);
      else spi.send([reg, val & 0xff], minClock);
    },
  };
}

export function i2cRegisterBus(i2c: McuI2c): RegisterBus {
  const mcu = i2c.mcu;
  const live = (): LiveQuery => {
    const q = mcu as unknown as Partial<LiveQuery>;
    if (mcu.isBatch() || typeof q.query !== "function") throw new GCodeError(`I2C register access needs a live MCU (MCU '${mcu.name}' is in batch mode)`);
    return q as LiveQuery;
  };
  // Firmware with i2c_transfer reports a bus status per request; older firmware has i2c_read/i2c_write
  const transfer = async (write: number[], readLen: number, minClock = 0): Promise<Uint8Array> => {
    const opts = { oid: i2c.oid, minClock, queue: i2c.queue };
    if (!mcu.dict.hasCommand("i2c_transfer")) {
      if (readLen === 0) {
        i2c.write(write, minClock);
        return new Uint8Array(0);
      }
      const r = await live().query(`i2c_read oid=${i2c.oid} reg=${hex(write)} read_len=${readLen}`, "i2c_read_response", opts);
      return r.params.response as Uint8Array;
    }
    const r = await live().query(`i2c_transfer oid=${i2c.oid} write=${hex(write)} read_len=${readLen}`, "i2c_response", opts);
    const status = r.params.i2c_bus_status;
    if (status !== "SUCCESS") throw new GCodeError(`MCU '${mcu.name}' I2C request to addr ${i2c.address} reports error ${String(status)}`);
    return r.params.response as Uint8Array;
  };
  return {
    type: "i2c",
    mcu,
    oid: i2c.oid,
    queue: i2c.queue,
    async readReg(reg) {
      const data = await transfer([reg], 1);
      if (data.length < 1) throw new GCodeError(`MCU '${mcu.name}' I2C read of register 0x${reg.toString(16)} at addr ${i2c.address} returned no data`);
      return data[0]!;
    },
    async writeReg(reg, val, minClock = 0) {
      await transfer([reg, val & 0xff], 0, minClock);
    },
  };
}

export interface DualBusOptions {
  spiMode: number;
  spiSpeed: number;
  /** Default I2C address (the section's i2c_address overrides it). */
  i2cAddress: number;
  spiWaitWrites?: boolean;
}

/** A chip wired either way: SPI when the section has cs_pin, otherwise I2C (at 400 kHz by default). */
export function spiOrI2cRegisterBus(config: ConfigSection, printer: Printer, o: DualBusOptions): RegisterBus {
  if (config.get("cs_pin", null) !== null) return spiRegisterBus(spiFromConfig(config, printer, o.spiMode, { defaultSpeed: o.spiSpeed }), o.spiWaitWrites ?? false);
  return i2cRegisterBus(i2cFromConfig(config, printer, o.i2cAddress, 400000));
}
