// What an MCU reports for a heater's ADC: analog_in_state with the sum of 8 oversampled 10-bit
// readings (Klipper's heater sampling), and the reading a heater's own sensor expects at a temperature.
import type { Heater } from "../../src/extras/heaters/heater.ts";

/** Sum of 8 readings of 10 bits at `fraction` of full scale. */
export function adcSum(fraction: number): number {
  return Math.round(fraction * 8 * 1023);
}

/** The analog_in_state response carrying `rawSum`. */
export function analogInState(oid: number, nextClock: number, rawSum: number) {
  return { name: "analog_in_state", params: { oid, next_clock: nextClock, values: new Uint8Array([rawSum & 0xff, rawSum >> 8]) } };
}

/** The ADC fraction the heater's sensor reads at `temp`. */
export function heaterAdc(heater: Heater, temp: number): number {
  return (heater.sensor as unknown as { converter: { calcAdc(t: number): number } }).converter.calcAdc(temp);
}
