// [mpu9250] / [mpu9250 NAME]: the InvenSense MPU-9250 family (also MPU-6500, MPU-9255, MPU-6050
// ...) on I2C, streamed by the MCU (config_mpu9250, query_mpu9250, sensor_bulk_data). Options,
// commands and sessions are the shared accelerometer ones; this file has the chip's registers.
import type { ConfigSection } from "../config/section.ts";
import { type Printer, registerModule } from "../printer.ts";
import { BulkAccelerometer, FREEFALL_ACCEL, int16Triple } from "./accelerometers/bulk-accelerometer.ts";
import { i2cRegisterBus } from "./accelerometers/register-bus.ts";
import { i2cFromConfig } from "./bus.ts";

const MPU9250_ADDR = 0x68;
/** WHO_AM_I answers of the chips this driver handles (0x75/0x69: known defective clones, still usable). */
const DEV_IDS = [0x74, 0x73, 0x71, 0x70, 0x68, 0x75, 0x69];

const REG_DEVID = 0x75;
const REG_FIFO_EN = 0x23;
const REG_SMPLRT_DIV = 0x19;
const REG_CONFIG = 0x1a;
const REG_ACCEL_CONFIG = 0x1c;
const REG_ACCEL_CONFIG2 = 0x1d;
const REG_USER_CTRL = 0x6a;
const REG_PWR_MGMT_1 = 0x6b;
const REG_PWR_MGMT_2 = 0x6c;
const REG_INT_STATUS = 0x3a;

const SAMPLE_RATE_DIVS: Record<number, number> = { 4000: 0x00 };
const SET_CONFIG = 0x01; // FIFO keeps the newest samples
const SET_ACCEL_CONFIG = 0x10; // +-8 g full scale
const SET_ACCEL_CONFIG2 = 0x08; // 1046 Hz bandwidth, 4 kHz sampling
const SET_PWR_MGMT_1_WAKE = 0x00;
const SET_PWR_MGMT_1_SLEEP = 0x40;
const SET_PWR_MGMT_2_ACCEL_ON = 0x07;
const SET_PWR_MGMT_2_OFF = 0x3f;
const SET_USER_FIFO_RESET = 0x04;
const SET_USER_FIFO_EN = 0x40;
const SET_ENABLE_FIFO = 0x08;
const SET_DISABLE_FIFO = 0x00;
/** 1/4096 g per LSB at +-8 g. */
const SCALE = FREEFALL_ACCEL / 4096;
/** The accelerometer needs this long after waking before it takes settings. */
const WAKE_DELAY = 0.02;

class Mpu9250 extends BulkAccelerometer {
  constructor(config: ConfigSection, printer: Printer) {
    super(config, printer, {
      sensor: "mpu9250",
      scale: [SCALE, SCALE, SCALE],
      rates: [4000],
      bytesPerSample: 6,
      decode: int16Triple(false),
      openBus: (c, p) => i2cRegisterBus(i2cFromConfig(c, p, MPU9250_ADDR, 400000)),
      configLine: (oid, bus) => `config_mpu9250 oid=${oid} i2c_oid=${bus.oid}`,
      configAfterBus: true,
    });
  }

  protected async startChip(): Promise<void> {
    await this.checkChipId(REG_DEVID, DEV_IDS, "mpu");
    await this.setReg(REG_PWR_MGMT_1, SET_PWR_MGMT_1_WAKE);
    await this.setReg(REG_PWR_MGMT_2, SET_PWR_MGMT_2_ACCEL_ON);
    // A read flushes the queue, so the wake delay counts from now
    await this.readReg(REG_DEVID);
    const mcu = this.bus.mcu;
    const wakeClock = mcu.printTimeToClock(mcu.estimatedPrintTime(mcu.monotonic()) + WAKE_DELAY);
    await this.setReg(REG_SMPLRT_DIV, SAMPLE_RATE_DIVS[this.rate]!, wakeClock);
    await this.setReg(REG_CONFIG, SET_CONFIG);
    await this.setReg(REG_ACCEL_CONFIG, SET_ACCEL_CONFIG);
    await this.setReg(REG_ACCEL_CONFIG2, SET_ACCEL_CONFIG2);
    await this.setReg(REG_FIFO_EN, SET_DISABLE_FIFO);
    await this.setReg(REG_USER_CTRL, SET_USER_FIFO_RESET);
    await this.setReg(REG_USER_CTRL, SET_USER_FIFO_EN);
    await this.readReg(REG_INT_STATUS); // clears the FIFO overflow flag
    this.startStreaming();
    await this.setReg(REG_FIFO_EN, SET_ENABLE_FIFO);
  }

  protected async stopChip(): Promise<void> {
    await this.setReg(REG_FIFO_EN, SET_DISABLE_FIFO);
    this.stopStreaming();
    await this.setReg(REG_PWR_MGMT_1, SET_PWR_MGMT_1_SLEEP);
    await this.setReg(REG_PWR_MGMT_2, SET_PWR_MGMT_2_OFF);
  }
}

registerModule("mpu9250", (config, printer) => new Mpu9250(config, printer));
registerModule("mpu9250 ", (config, printer) => new Mpu9250(config, printer));
