// [lis2dw] and [lis3dh] (each also with a NAME): ST accelerometers on SPI (cs_pin set) or I2C,
// streamed by the MCU (config_lis2dw with the bus type and chip type, query_lis2dw,
// sensor_bulk_data). Options, commands and sessions are the shared accelerometer ones; this file
// has the chips' registers. Every register write is read back to catch wiring faults.
import type { ConfigSection } from "../../core/config/section.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { BulkAccelerometer, int16Triple } from "./bulk-accelerometer.ts";
import { spiOrI2cRegisterBus } from "./register-bus.ts";

const REG_WHO_AM_I = 0x0f;
const REG_CTRL1 = 0x20;
const REG_CTRL2 = 0x21;
const REG_CTRL4 = 0x23;
const REG_CTRL5 = 0x24;
const REG_CTRL6 = 0x25;
const REG_FIFO_CTRL = 0x2e;

/** Accelerometer mm/s^2 per g-thousandth: the datasheets give sensitivity in mg/LSB. */
const MG = 9.80665;

type LisType = "LIS2DW" | "LIS3DH";

interface LisVariant {
  devId: number;
  /** mm/s^2 per LSB of the left-aligned 16-bit counts. */
  scale: number;
  rate: number;
  /** FIFO_CTRL value that keeps the FIFO streaming (newest samples replace the oldest). */
  fifoStream: number;
}

const VARIANTS: Record<LisType, LisVariant> = {
  LIS2DW: { devId: 0x44, scale: (MG * 1.952) / 4, rate: 1600, fifoStream: 0xc0 }, // 14-bit, +-16 g
  LIS3DH: { devId: 0x33, scale: (MG * 11.718) / 16, rate: 1344, fifoStream: 0x80 }, // 12-bit, +-16 g
};

class Lis2dw extends BulkAccelerometer {
  private readonly variant: LisVariant;

  constructor(config: ConfigSection, printer: Printer, private readonly type: LisType) {
    const v = VARIANTS[type];
    super(config, printer, {
      sensor: "lis2dw",
      scale: [v.scale, v.scale, v.scale],
      rates: [v.rate],
      rateOption: false,
      bytesPerSample: 6,
      decode: int16Triple(true),
      openBus: (c, p) => spiOrI2cRegisterBus(c, p, { spiMode: 3, spiSpeed: 5000000, i2cAddress: 0x19 }),
      configLine: (oid, bus) => `config_lis2dw oid=${oid} bus_oid=${bus.oid} bus_oid_type=${bus.type} lis_chip_type=${type}`,
      configAfterBus: false,
    });
    this.variant = v;
  }

  override setReg(reg: number, val: number): Promise<void> {
    return this.setRegChecked(reg, val);
  }

  protected async startChip(): Promise<void> {
    await this.checkChipId(REG_WHO_AM_I, [this.variant.devId], this.type.toLowerCase());
    if (this.type === "LIS2DW") {
      if (this.bus.type === "spi") await this.setReg(REG_CTRL2, 0x06); // I2C interface off
      await this.setReg(REG_CTRL6, 0x34); // ODR/2 low-pass, +-16 g, low noise
      await this.setReg(REG_FIFO_CTRL, this.variant.fifoStream);
      await this.setReg(REG_CTRL1, 0x94); // 1600 Hz high-performance (14-bit)
    } else {
      await this.setReg(REG_CTRL1, 0x97); // 1344 Hz high resolution, X/Y/Z on
      await this.setReg(REG_CTRL2, 0x00); // no filtering
      await this.setReg(REG_CTRL4, 0x38); // +-16 g, high resolution
      await this.setReg(REG_CTRL5, 0x40); // FIFO on
      await this.setReg(REG_FIFO_CTRL, this.variant.fifoStream);
    }
    this.startStreaming();
    await this.setReg(REG_FIFO_CTRL, this.variant.fifoStream);
  }

  protected async stopChip(): Promise<void> {
    await this.setReg(REG_FIFO_CTRL, 0x00);
    this.stopStreaming();
  }
}

registerModule("lis2dw", (config, printer) => new Lis2dw(config, printer, "LIS2DW"));
registerModule("lis2dw ", (config, printer) => new Lis2dw(config, printer, "LIS2DW"));
registerModule("lis3dh", (config, printer) => new Lis2dw(config, printer, "LIS3DH"));
registerModule("lis3dh ", (config, printer) => new Lis2dw(config, printer, "LIS3DH"));
