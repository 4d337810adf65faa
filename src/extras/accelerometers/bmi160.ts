// [bmi160] / [bmi160 NAME]: the Bosch BMI160 on SPI (cs_pin set) or I2C, streamed by the MCU
// (config_bmi160 with the bus type, query_bmi160, sensor_bulk_data). Options, commands and
// sessions are the shared accelerometer ones; this file has the chip's registers and timing.
import type { ConfigSection } from "../../core/config/section.ts";
import { hostTime, sleepUntil } from "../../core/host-timers.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { BulkAccelerometer, FREEFALL_ACCEL, int16Triple } from "./bulk-accelerometer.ts";
import { spiOrI2cRegisterBus } from "./register-bus.ts";

const REG_CHIPID = 0x00;
const REG_ACC_CONF = 0x40;
const REG_ACC_RANGE = 0x41;
const REG_FIFO_DOWNS = 0x45;
const REG_FIFO_CONFIG_1 = 0x47;
const REG_CMD = 0x7e;
/** Reading this (unused) register switches the chip's interface to SPI. */
const REG_SPI_SELECT = 0x7f;

const CMD_ACC_PM_SUSPEND = 0x10;
const CMD_ACC_PM_NORMAL = 0x11;
const CMD_FIFO_FLUSH = 0xb0;
const DEV_ID = 0xd1;
const SET_ACC_CONF_1600HZ = 0x2c;
const SET_ACC_RANGE_16G = 0x0c;
const SET_FIFO_CONFIG_1 = 0x40; // accelerometer data into the FIFO
const SET_FIFO_DOWNS = 0x00;

/** Settle time after each register write. */
const WRITE_PAUSE = 0.002;
/** Start-up of the accelerometer after the normal-mode command. */
const WAKE_PAUSE = 0.05;
/** Interface switch and FIFO flush. */
const SHORT_PAUSE = 0.01;

class Bmi160 extends BulkAccelerometer {
  constructor(config: ConfigSection, printer: Printer) {
    super(config, printer, {
      sensor: "bmi160",
      scale: [FREEFALL_ACCEL / 2048, FREEFALL_ACCEL / 2048, FREEFALL_ACCEL / 2048], // +-16 g
      rates: [1600],
      rateOption: false,
      bytesPerSample: 6,
      decode: int16Triple(true),
      openBus: (c, p) => spiOrI2cRegisterBus(c, p, { spiMode: 0, spiSpeed: 1000000, i2cAddress: 0x69, spiWaitWrites: true }),
      configLine: (oid, bus) => `config_bmi160 oid=${oid} bus_oid=${bus.oid} bus_oid_type=${bus.type}`,
      configAfterBus: false,
    });
  }

  private async pause(seconds: number): Promise<void> {
    await sleepUntil(this.printer, hostTime(this.printer) + seconds);
  }

  /** Writes settle before the next one; configuration registers (0x40 and up, not CMD) are read back. */
  override async setReg(reg: number, val: number, minClock = 0): Promise<void> {
    await super.setReg(reg, val, minClock);
    await this.pause(WRITE_PAUSE);
    if (reg >= REG_ACC_CONF && reg !== REG_CMD) await this.verifyReg(reg, val);
  }

  protected async startChip(): Promise<void> {
    if (this.bus.type === "spi") {
      await this.readReg(REG_SPI_SELECT);
      await this.pause(SHORT_PAUSE);
    }
    await this.checkChipId(REG_CHIPID, [DEV_ID]);
    await this.setReg(REG_CMD, CMD_ACC_PM_NORMAL);
    await this.pause(WAKE_PAUSE);
    await this.setReg(REG_ACC_CONF, SET_ACC_CONF_1600HZ);
    await this.setReg(REG_ACC_RANGE, SET_ACC_RANGE_16G);
    await this.setReg(REG_FIFO_DOWNS, SET_FIFO_DOWNS);
    await this.setReg(REG_FIFO_CONFIG_1, SET_FIFO_CONFIG_1);
    await this.setReg(REG_CMD, CMD_FIFO_FLUSH);
    await this.pause(SHORT_PAUSE);
    this.startStreaming();
  }

  protected async stopChip(): Promise<void> {
    await this.setReg(REG_CMD, CMD_ACC_PM_SUSPEND);
    this.stopStreaming();
  }
}

registerModule("bmi160", (config, printer) => new Bmi160(config, printer));
registerModule("bmi160 ", (config, printer) => new Bmi160(config, printer));
