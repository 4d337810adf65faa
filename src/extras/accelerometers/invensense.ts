// InvenSense accelerometers on I2C (mpu9250 family, icm20948): the MCU reads their FIFO of
// big-endian 16-bit X/Y/Z samples. They share the power/FIFO start-stop sequence and differ in
// register numbers and in how the sample rate and range are set.
import type { ConfigSection } from "../../core/config/section.ts";
import type { Printer } from "../../core/printer.ts";
import { i2cFromConfig } from "../bus/bus.ts";
import { BulkAccelerometer, int16Triple } from "./bulk-accelerometer.ts";
import { i2cRegisterBus } from "./register-bus.ts";

/** Register numbers and the values written to them. */
export interface InvenSenseRegisters {
  devId: number;
  fifoEn: number;
  userCtrl: number;
  pwrMgmt1: number;
  pwrMgmt2: number;
  intStatus: number;
  pwrMgmt1Wake: number;
  pwrMgmt1Sleep: number;
  pwrMgmt2AccelOn: number;
  pwrMgmt2Off: number;
  userFifoReset: number;
  userFifoEnable: number;
  fifoEnableAccel: number;
}

export interface InvenSenseChip {
  /** Firmware sensor name (config_<sensor>, query_<sensor>). */
  sensor: string;
  /** Name used in the bad-id error ("mpu"). */
  idName: string;
  i2cAddress: number;
  /** mm/s^2 per LSB. */
  scale: number;
  rate: number;
  regs: InvenSenseRegisters;
  /** WHO_AM_I answers of supported chips. */
  devIds: readonly number[];
}

const FIFO_DISABLE = 0x00;

export abstract class InvenSenseAccelerometer extends BulkAccelerometer {
  constructor(config: ConfigSection, printer: Printer, protected readonly chip: InvenSenseChip) {
    super(config, printer, {
      sensor: chip.sensor,
      scale: [chip.scale, chip.scale, chip.scale],
      rates: [chip.rate],
      rateOption: true,
      bytesPerSample: 6,
      decode: int16Triple(false),
      openBus: (c, p) => i2cRegisterBus(i2cFromConfig(c, p, chip.i2cAddress, 400000)),
      configLine: (oid, bus) => `config_${chip.sensor} oid=${oid} i2c_oid=${bus.oid}`,
      configAfterBus: true,
    });
  }

  /** Sample rate, range and filter registers (the chip is awake). */
  protected abstract configureSampling(): Promise<void>;

  protected async startChip(): Promise<void> {
    const r = this.chip.regs;
    await this.checkChipId(r.devId, this.chip.devIds, this.chip.idName);
    await this.setReg(r.pwrMgmt1, r.pwrMgmt1Wake);
    await this.setReg(r.pwrMgmt2, r.pwrMgmt2AccelOn);
    // A read waits until the writes above have been done
    await this.readReg(r.devId);
    await this.configureSampling();
    await this.setReg(r.fifoEn, FIFO_DISABLE);
    await this.setReg(r.userCtrl, r.userFifoReset);
    await this.setReg(r.userCtrl, r.userFifoEnable);
    await this.readReg(r.intStatus); // clears the FIFO overflow flag
    this.startStreaming();
    await this.setReg(r.fifoEn, r.fifoEnableAccel);
  }

  protected async stopChip(): Promise<void> {
    const r = this.chip.regs;
    await this.setReg(r.fifoEn, FIFO_DISABLE);
    this.stopStreaming();
    await this.setReg(r.pwrMgmt1, r.pwrMgmt1Sleep);
    await this.setReg(r.pwrMgmt2, r.pwrMgmt2Off);
  }
}
