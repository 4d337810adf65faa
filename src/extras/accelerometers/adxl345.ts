// [adxl345] / [adxl345 NAME]: the ADXL345 accelerometer on SPI, streamed by the MCU
// (config_adxl345, query_adxl345, sensor_bulk_data). Options, commands and sessions are the
// shared accelerometer ones; this file has the chip's registers and record format.
import type { ConfigSection } from "../../core/config/section.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { BulkAccelerometer, FREEFALL_ACCEL } from "./bulk-accelerometer.ts";
import { spiRegisterBus } from "./register-bus.ts";
import { spiFromConfig } from "../bus/bus.ts";

export type { AccelClient } from "./accel-client.ts";

const REG_DEVID = 0x00;
const REG_BW_RATE = 0x2c;
const REG_POWER_CTL = 0x2d;
const REG_DATA_FORMAT = 0x31;
const REG_FIFO_CTL = 0x38;
/** BW_RATE code of each sample rate (Hz); 3200 is the default. */
const RATES = [3200, 25, 50, 100, 200, 400, 800, 1600];
const QUERY_RATES: Record<number, number> = { 25: 0x8, 50: 0x9, 100: 0xa, 200: 0xb, 400: 0xc, 800: 0xd, 1600: 0xe, 3200: 0xf };
const DEV_ID = 0xe5;
const SET_FIFO_CTL = 0x90;
/** mm/s^2 per LSB in full-resolution mode (datasheet: 3.9 mg/LSB, X/Y typically 1/265 g at 3.3 V). */
const SCALE_XY = 0.003774 * FREEFALL_ACCEL;
const SCALE_Z = 0.003906 * FREEFALL_ACCEL;

/** Decode one 5-byte ADXL345 record (13-bit two's complement X/Y/Z packed by the MCU); null on an error flag. */
export function decodeAdxl345(rec: Uint8Array): [number, number, number] | null {
  const [xl, yl, zl, xzh, yzh] = rec as unknown as [number, number, number, number, number];
  if (yzh & 0x80) return null;
  const rx = (xl | ((xzh & 0x1f) << 8)) - ((xzh & 0x10) << 9);
  const ry = (yl | ((yzh & 0x1f) << 8)) - ((yzh & 0x10) << 9);
  const rz = (zl | ((xzh & 0xe0) << 3) | ((yzh & 0xe0) << 6)) - ((yzh & 0x40) << 7);
  return [rx, ry, rz];
}

class Adxl345 extends BulkAccelerometer {
  constructor(config: ConfigSection, printer: Printer) {
    super(config, printer, {
      sensor: "adxl345",
      scale: [SCALE_XY, SCALE_XY, SCALE_Z],
      rates: RATES,
      rateOption: true,
      bytesPerSample: 5,
      decode: decodeAdxl345,
      openBus: (c, p) => spiRegisterBus(spiFromConfig(c, p, 3, { defaultSpeed: 5000000 })),
      configLine: (oid, bus) => `config_adxl345 oid=${oid} spi_oid=${bus.oid}`,
      configAfterBus: false,
    });
  }

  override setReg(reg: number, val: number): Promise<void> {
    return this.setRegChecked(reg, val);
  }

  protected async startChip(): Promise<void> {
    await this.checkChipId(REG_DEVID, [DEV_ID]);
    await this.setReg(REG_POWER_CTL, 0x00);
    await this.setReg(REG_DATA_FORMAT, 0x0b);
    await this.setReg(REG_FIFO_CTL, 0x00);
    await this.setReg(REG_BW_RATE, QUERY_RATES[this.rate]!);
    await this.setReg(REG_FIFO_CTL, SET_FIFO_CTL);
    this.startStreaming();
    await this.setReg(REG_POWER_CTL, 0x08);
  }

  protected async stopChip(): Promise<void> {
    await this.setReg(REG_POWER_CTL, 0x00);
    this.stopStreaming();
  }
}

registerModule("adxl345", (config, printer) => new Adxl345(config, printer));
registerModule("adxl345 ", (config, printer) => new Adxl345(config, printer));
