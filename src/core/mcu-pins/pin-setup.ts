// Build MCU pin objects (PWM, digital out, ADC) from a pin description in the config. The pin is
// claimed in the printer's pin registry (so double use is an error) and the object is created on the
// pin's chip, which must be an MCU.
import { type AdcInput, McuAdc } from "./mcu-adc.ts";
import type { Mcu } from "../../mcu/mcu.ts";
import { PinError, type PinParams, type PinType, type PrinterPins } from "../pins.ts";
import { type EndstopMcu, McuEndstop } from "./mcu-endstop.ts";
import { McuDigitalOut } from "./mcu-digital-out.ts";
import type { McuPort } from "./mcu-port.ts";
import { McuPwm } from "./mcu-pwm.ts";
import type { DigitalOutput, PwmOutput } from "./output-types.ts";

export type OutputPinType = "pwm" | "digital_out" | "adc";

/** Create the pin object for a pin already looked up (for an MCU chip's setupPin). */
export function createMcuPin(mcu: McuPort, pinType: "pwm", params: PinParams): McuPwm;
export function createMcuPin(mcu: McuPort, pinType: "digital_out", params: PinParams): McuDigitalOut;
export function createMcuPin(mcu: McuPort, pinType: "adc", params: PinParams): McuAdc;
export function createMcuPin(mcu: McuPort, pinType: OutputPinType, params: PinParams): McuPwm | McuDigitalOut | McuAdc {
  if (pinType === "pwm") return new McuPwm(mcu, params.pin, !!params.invert);
  if (pinType === "digital_out") return new McuDigitalOut(mcu, params.pin, !!params.invert);
  return new McuAdc(mcu, params.pin);
}

/** Claim the pin; an MCU pin object is built here, any other chip ([multi_pin]) builds its own. */
function setup<T>(pins: PrinterPins, pinType: "pwm" | "digital_out" | "adc", desc: string, owner: string, onMcu: (mcu: McuPort, params: PinParams) => T): T {
  const params = pins.lookupPin(desc, { canInvert: pinType !== "adc", owner });
  const chip = params.chip as unknown as Partial<McuPort>;
  if (typeof chip.registerConfigCallback === "function" && typeof chip.createOid === "function") return onMcu(chip as McuPort, params);
  if (typeof params.chip.setupPin === "function") return params.chip.setupPin(pinType, params) as T;
  throw new PinError(`pin ${params.pin} on chip '${params.chipName}' can not be used as ${pinType}`);
}

export function setupPwmPin(pins: PrinterPins, desc: string, owner: string): PwmOutput {
  return setup(pins, "pwm", desc, owner, (mcu, params) => createMcuPin(mcu, "pwm", params));
}

export function setupDigitalOutPin(pins: PrinterPins, desc: string, owner: string): DigitalOutput {
  return setup(pins, "digital_out", desc, owner, (mcu, params) => createMcuPin(mcu, "digital_out", params));
}

export function setupAdcPin(pins: PrinterPins, desc: string, owner: string): AdcInput {
  return setup(pins, "adc", desc, owner, (mcu, params) => createMcuPin(mcu, "adc", params));
}

/**
 * The pin object of an MCU's pin (endstop, digital/PWM output, ADC). The same for batch and live
 * MCUs: they differ only in how the bytes travel.
 */
export function setupMcuPin(mcu: Mcu, pinType: PinType, params: PinParams): unknown {
  if (pinType === "endstop") return new McuEndstop(mcu as unknown as EndstopMcu, { pin: params.pin, pullup: params.pullup, invert: params.invert });
  if (pinType === "digital_out" || pinType === "pwm" || pinType === "adc")
    return createMcuPin(mcu as unknown as McuPort, pinType as "pwm", params);
  throw new PinError(`pin type ${pinType} not supported on mcu`);
}
