// NTC thermistor in a voltage divider with a pullup resistor (and optionally a resistor in series
// with the thermistor), modelled by the Steinhart-Hart equation 1/T = c1 + c2·ln R + c3·(ln R)³.
import { type AdcConverter, KELVIN_TO_CELSIUS } from "./adc-converter.ts";

/** A thermistor's calibration: three (temperature, resistance) points, or one point and a beta. */
export type ThermistorParams =
  | { kind: "beta"; t1: number; r1: number; beta: number }
  | { kind: "steinhart-hart"; t1: number; r1: number; t2: number; r2: number; t3: number; r3: number };

export interface SteinhartHart { c1: number; c2: number; c3: number }

/** Coefficients equivalent to the beta model (c3 = 0). */
export function coefficientsFromBeta(t1: number, r1: number, beta: number): SteinhartHart {
  const c2 = 1 / beta;
  return { c1: 1 / (t1 - KELVIN_TO_CELSIUS) - c2 * Math.log(r1), c2, c3: 0 };
}

/**
 * Solve the three linear equations 1/Tn = c1 + c2·ln Rn + c3·(ln Rn)³. A non-positive c3 means the points
 * do not describe a usable curve; like Klipper we then fall back to the beta through points 1 and 3.
 */
export function coefficientsFromPoints(t1: number, r1: number, t2: number, r2: number, t3: number, r3: number): SteinhartHart {
  const it1 = 1 / (t1 - KELVIN_TO_CELSIUS), it2 = 1 / (t2 - KELVIN_TO_CELSIUS), it3 = 1 / (t3 - KELVIN_TO_CELSIUS);
  const l1 = Math.log(r1), l2 = Math.log(r2), l3 = Math.log(r3);
  const dInv12 = it1 - it2, dInv13 = it1 - it3;
  const dLn12 = l1 - l2, dLn13 = l1 - l3;
  const dCube12 = l1 ** 3 - l2 ** 3, dCube13 = l1 ** 3 - l3 ** 3;
  const c3 = (dInv12 - (dInv13 * dLn12) / dLn13) / (dCube12 - (dCube13 * dLn12) / dLn13);
  if (!(c3 > 0)) return coefficientsFromBeta(t1, r1, dLn13 / dInv13);
  const c2 = (dInv12 - c3 * dCube12) / dLn12;
  return { c1: it1 - c2 * l1 - c3 * l1 ** 3, c2, c3 };
}

export class Thermistor implements AdcConverter {
  readonly coefficients: SteinhartHart;

  constructor(readonly pullup: number, readonly inlineResistor: number, params: ThermistorParams) {
    this.coefficients = params.kind === "beta"
      ? coefficientsFromBeta(params.t1, params.r1, params.beta)
      : coefficientsFromPoints(params.t1, params.r1, params.t2, params.r2, params.t3, params.r3);
  }

  /** Resistance of the thermistor itself at a temperature. */
  resistanceAt(temp: number): number {
    const { c1, c2, c3 } = this.coefficients;
    const invT = 1 / (temp - KELVIN_TO_CELSIUS);
    let lnR: number;
    if (c3) {
      // ln R is the real root of c3·x³ + c2·x + (c1 − 1/T) = 0 (Cardano; the discriminant is positive).
      const y = (c1 - invT) / (2 * c3);
      const x = Math.sqrt((c2 / (3 * c3)) ** 3 + y * y);
      lnR = Math.pow(x - y, 1 / 3) - Math.pow(x + y, 1 / 3);
    } else {
      lnR = (invT - c1) / c2;
    }
    return Math.exp(lnR);
  }

  calcTemp(adc: number): number {
    // Clamp so an open or shorted sensor still gives a finite (extreme) reading.
    const a = Math.max(0.00001, Math.min(0.99999, adc));
    const r = (this.pullup * a) / (1 - a);
    const lnR = Math.log(r - this.inlineResistor);
    const { c1, c2, c3 } = this.coefficients;
    return 1 / (c1 + c2 * lnR + c3 * lnR ** 3) + KELVIN_TO_CELSIUS;
  }

  calcAdc(temp: number): number {
    if (temp <= KELVIN_TO_CELSIUS) return 1;
    const r = this.resistanceAt(temp) + this.inlineResistor;
    return r / (this.pullup + r);
  }
}
