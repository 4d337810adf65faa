// What modules need from an output pin, whether it is one MCU pin (McuPwm, McuDigitalOut) or a
// group of pins driven together ([multi_pin]).
import type { McuPort } from "./mcu-port.ts";

export interface PwmOutput {
  /** The MCU that schedules it (the first one for a pin group). */
  readonly mcu: McuPort;
  readonly pin: string;
  setupMaxDuration(seconds: number): void;
  setupCycleTime(seconds: number, hardwarePwm?: boolean): void;
  setupStartValue(start: number, shutdown: number): void;
  setPwm(printTime: number, value: number): void;
}

export interface DigitalOutput {
  readonly mcu: McuPort;
  readonly pin: string;
  setupMaxDuration(seconds: number): void;
  setupStartValue(start: number | boolean, shutdown: number | boolean): void;
  setDigital(printTime: number, value: number | boolean): void;
}
