// [icm20948] / [icm20948 NAME]: the InvenSense ICM-20948 on I2C, streamed by the MCU
// (config_icm20948, query_icm20948, sensor_bulk_data). Options, commands and sessions are the
// shared accelerometer ones; this file has the chip's registers (two of them in bank 2).
import type { ConfigSection } from "../../core/config/section.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { FREEFALL_ACCEL } from "./bulk-accelerometer.ts";
import { InvenSenseAccelerometer } from "./invensense.ts";

const REG_ACCEL_SMPLRT_DIV1 = 0x10; // MSB
const REG_ACCEL_SMPLRT_DIV2 = 0x11; // LSB
const REG_ACCEL_CONFIG = 0x14; // bank 2
const REG_BANK_SEL = 0x7f;
const SMPLRT_DIV_4500HZ = 0x00;
const SET_BANK_0 = 0x00;
const SET_BANK_2 = 0x20;
const SET_ACCEL_CONFIG = 0x06; // +-16 g full scale, 1209 Hz bandwidth, 4.5 kHz sampling

class Icm20948 extends InvenSenseAccelerometer {
  constructor(config: ConfigSection, printer: Printer) {
    super(config, printer, {
      sensor: "icm20948",
      idName: "icm20948",
      i2cAddress: 0x68,
      scale: FREEFALL_ACCEL / 2048, // +-16 g
      rate: 4500,
      devIds: [0xea],
      regs: {
        devId: 0x00,
        fifoEn: 0x67, // FIFO_EN_2
        userCtrl: 0x03,
        pwrMgmt1: 0x06,
        pwrMgmt2: 0x07,
        intStatus: 0x19,
        pwrMgmt1Wake: 0x01,
        pwrMgmt1Sleep: 0x41,
        pwrMgmt2AccelOn: 0x07,
        pwrMgmt2Off: 0x3f,
        userFifoReset: 0x0e,
        userFifoEnable: 0x40,
        fifoEnableAccel: 0x10,
      },
    });
  }

  protected async configureSampling(): Promise<void> {
    await this.setReg(REG_ACCEL_SMPLRT_DIV1, SMPLRT_DIV_4500HZ);
    await this.setReg(REG_ACCEL_SMPLRT_DIV2, SMPLRT_DIV_4500HZ);
    await this.setReg(REG_BANK_SEL, SET_BANK_2);
    await this.setReg(REG_ACCEL_CONFIG, SET_ACCEL_CONFIG);
    await this.setReg(REG_BANK_SEL, SET_BANK_0);
  }
}

registerModule("icm20948", (config, printer) => new Icm20948(config, printer));
registerModule("icm20948 ", (config, printer) => new Icm20948(config, printer));
