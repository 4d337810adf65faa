// A converter between a normalized ADC reading (0..1 of full scale) and a temperature in Celsius.
// Every analog temperature sensor (thermistor, linear voltage chip, RTD table) implements this, so the
// heater code and the MCU range check only ever see these two functions.
export interface AdcConverter {
  calcTemp(adc: number): number;
  calcAdc(temp: number): number;
}

export const KELVIN_TO_CELSIUS = -273.15;
