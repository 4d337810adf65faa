// The clock conversions every Mcu offers, and the simulated clock of batch mode.

/** Conversions between the MCU clock, host time and print time. */
export interface McuClock {
  printTimeToClock(printTime: number): number;
  clockToPrintTime(clock: number): number;
  estimatedPrintTime(hostTime: number): number;
  clock32ToClock64(clock32: number): number;
  /** Align print time with the primary MCU (secondaries); returns the mapping. */
  calibrate(printTime: number, hostTime: number): { offset: number; freq: number };
}

/** Batch mode clock: clock 0 is print time 0 and there is no MCU to estimate. */
export class SimulatedClock implements McuClock {
  constructor(private readonly freq: number) {}
  printTimeToClock(printTime: number): number {
    return Math.trunc(printTime * this.freq);
  }
  clockToPrintTime(clock: number): number {
    return clock / this.freq;
  }
  estimatedPrintTime(_hostTime: number): number {
    return 0;
  }
  clock32ToClock64(clock32: number): number {
    return clock32 >>> 0;
  }
  calibrate(_printTime: number, _hostTime: number): { offset: number; freq: number } {
    return { offset: 0, freq: this.freq };
  }
}
