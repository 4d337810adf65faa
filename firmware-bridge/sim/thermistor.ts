// NTC thermistor (beta model) in a divider with a pull-up resistor to the ADC reference.

export interface ThermistorParams {
  r25: number; // ohms at 25 °C
  beta: number;
  pullup: number; // ohms
}

const KELVIN = 273.15;

export function thermistorResistance(p: ThermistorParams, celsius: number): number {
  return p.r25 * Math.exp(p.beta * (1 / (celsius + KELVIN) - 1 / (25 + KELVIN)));
}

/** One raw ADC sample (0..adcMax) of the divider at the given temperature. */
export function thermistorAdc(p: ThermistorParams, celsius: number, adcMax: number): number {
  const r = thermistorResistance(p, celsius);
  return Math.round((r / (r + p.pullup)) * adcMax);
}
