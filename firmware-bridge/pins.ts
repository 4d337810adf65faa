// The board's pin names: PA0..PH15 as STM32 dictionaries declare them, so printer.cfg files
// written for real boards resolve their pins.

import { expandEnumeration, stm32StylePins } from "./dictionary.ts";

export const PIN_ENUMERATION = stm32StylePins("ABCDEFGH");
const PINS = expandEnumeration(PIN_ENUMERATION);
export const PIN_COUNT = PINS.size;

/** The pin number of a name like "PA1"; `where` names the option for the error. */
export function pinNumber(name: string, where: string): number {
  const n = PINS.get(name);
  if (n === undefined) throw new Error(`${where}: unknown pin '${name}' (pins are PA0..PH15)`);
  return n;
}
