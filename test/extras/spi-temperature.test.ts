// Thermocouple converter readings against the datasheets' data formats.
import { describe, expect, test } from "bun:test";
import { thermocouple } from "../../src/extras/heaters/spi-temperature.ts";

describe("SPI thermocouple conversions", () => {
  // MAX6675: 16-bit read, temperature in D14..D3 at 0.25 C per LSB
  const max6675 = thermocouple("MAX6675", 0, 3, 14, 0.25, [[0x04, "open"]]);
  test("MAX6675: 0x0C80 is 100 C; the range check value of 100 C is 0x0C80", () => {
    expect(max6675.calcTemp(0x0c80)).toBe(100);
    expect(max6675.calcAdc(100)).toBe(0x0c80);
    // out-of-range temperatures clamp to the largest positive field value (13 bits)
    expect(max6675.calcAdc(5000)).toBe(0x1fff * 8);
    expect(max6675.faults(0x04)).toEqual(["open"]);
  });

  // MAX31855: 32-bit read, thermocouple temperature in D31..D18 at 0.25 C per LSB
  const max31855 = thermocouple("MAX31855", 0, 18, 14, 0.25, []);
  test("MAX31855: +1600 C and +25 C from the datasheet table", () => {
    // Datasheet: +1600.00 C = 0110 0100 0000 00 (0x1900 in D31..D18); +25.00 C = 0000 0001 1001 00 (0x64)
    expect(max31855.calcTemp(0x1900 * 2 ** 18)).toBe(1600);
    expect(max31855.calcTemp(0x64 * 2 ** 18 + 0x3ffff)).toBe(25); // lower bits (cold junction, faults) ignored
    expect(max31855.calcAdc(25)).toBe(0x64 * 2 ** 18);
  });
});
