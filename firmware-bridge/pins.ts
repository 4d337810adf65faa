// The board's pin names: ports A..L with 16 pins each (PA0..PL15), numbered as STM32 dictionaries
// number them, so printer.cfg files for STM32 boards (PA..PK) and for AVR boards such as the
// atmega2560 (PA..PL) resolve their pins. Pin numbers stay below 256 for the %c pin arguments.

import { expandEnumeration, stm32StylePins } from "./dictionary.ts";

export const PIN_ENUMERATION = stm32StylePins("ABCDEFGHIJKL");
const PINS = expandEnumeration(PIN_ENUMERATION);
export const PIN_COUNT = PINS.size;

/** The pin number of a name like "PA1"; `where` names the option for the error. */
export function pinNumber(name: string, where: string): number {
  const n = PINS.get(name);
  if (n === undefined) throw new Error(`${where}: unknown pin '${name}' (pins are PA0..PL15)`);
  return n;
}
