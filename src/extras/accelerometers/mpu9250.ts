// [mpu9250] / [mpu9250 NAME]: the InvenSense MPU-9250 family (also MPU-6500, MPU-9255, MPU-6050
// ...) on I2C, streamed by the MCU (config_mpu9250, query_mpu9250, sensor_bulk_data). Options,
// commands and sessions are the shared accelerometer ones; this file has the chip's registers.
import type { ConfigSection } from "../../core/config/section.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { FREEFALL_ACCEL } from "./bulk-accelerometer.ts";
import { InvenSenseAccelerometer } from "./invensense.ts";

const REG_SMPLRT_DIV = 0x19;
const REG_CONFIG = 0x1a;
const REG_ACCEL_CONFIG = 0x1c;
const REG_ACCEL_CONFIG2 = 0x1d;
const SMPLRT_DIV_4000HZ = 0x00;
const SET_CONFIG = 0x01; // FIFO keeps the newest samples
const SET_ACCEL_CONFIG = 0x10; // +-8 g full scale
const SET_ACCEL_CONFIG2 = 0x08; // 1046 Hz bandwidth, 4 kHz sampling
/** The accelerometer needs this long after waking before it takes settings. */
const WAKE_DELAY = 0.02;

class Mpu9250 extends InvenSenseAccelerometer {
  constructor(config: ConfigSection, printer: Printer) {
    super(config, printer, {
      sensor: "mpu9250",
      idName: "mpu",
      i2cAddress: 0x68,
      scale: FREEFALL_ACCEL / 4096, // +-8 g
      rate: 4000,
      // 0x75/0x69: known defective clones, still usable
      devIds: [0x74, 0x73, 0x71, 0x70, 0x68, 0x75, 0x69],
      regs: {
        devId: 0x75,
        fifoEn: 0x23,
        userCtrl: 0x6a,
        pwrMgmt1: 0x6b,
        pwrMgmt2: 0x6c,
        intStatus: 0x3a,
        pwrMgmt1Wake: 0x00,
        pwrMgmt1Sleep: 0x40,
        pwrMgmt2AccelOn: 0x07,
        pwrMgmt2Off: 0x3f,
        userFifoReset: 0x04,
        userFifoEnable: 0x40,
        fifoEnableAccel: 0x08,
      },
    });
  }

  protected async configureSampling(): Promise<void> {
    const mcu = this.bus.mcu;
    const wakeClock = mcu.printTimeToClock(mcu.estimatedPrintTime(mcu.monotonic()) + WAKE_DELAY);
    await this.setReg(REG_SMPLRT_DIV, SMPLRT_DIV_4000HZ, wakeClock);
    await this.setReg(REG_CONFIG, SET_CONFIG);
    await this.setReg(REG_ACCEL_CONFIG, SET_ACCEL_CONFIG);
    await this.setReg(REG_ACCEL_CONFIG2, SET_ACCEL_CONFIG2);
  }
}

registerModule("mpu9250", (config, printer) => new Mpu9250(config, printer));
registerModule("mpu9250 ", (config, printer) => new Mpu9250(config, printer));
