// Sensors calibrated by a table: amplifier chips whose output voltage is tabulated against temperature
// (AD595, PT100 through an INA826, custom [adc_temperature] voltage tables) and resistors whose resistance
// is tabulated (PT1000 in a divider, custom resistance tables).
import type { AdcConverter } from "./adc-converter.ts";
import { LinearInterpolate } from "./linear-interpolate.ts";

export class SensorTableError extends Error {}

/** Output voltage of a table-calibrated chip, read relative to adc_voltage, minus a fixed offset. */
export class LinearVoltage implements AdcConverter {
  private readonly table: LinearInterpolate;
  /** Rows whose voltage falls outside the ADC's 0..adcVoltage window (Klipper ignores them too). */
  readonly ignored: Array<readonly [number, number]> = [];

  constructor(samples: ReadonlyArray<readonly [number, number]>, adcVoltage = 5, voltageOffset = 0) {
    const points: Array<[number, number]> = [];
    for (const [temp, volt] of samples) {
      const adc = (volt - voltageOffset) / adcVoltage;
      if (adc < 0 || adc > 1) this.ignored.push([temp, volt]);
      else points.push([adc, temp]);
    }
    this.table = tableOrError(points);
  }

  calcTemp(adc: number): number { return this.table.interpolate(adc); }
  calcAdc(temp: number): number { return this.table.reverseInterpolate(temp); }
}

/** A resistive sensor below a pullup resistor, with its resistance tabulated against temperature. */
export class LinearResistance implements AdcConverter {
  private readonly table: LinearInterpolate;

  constructor(samples: ReadonlyArray<readonly [number, number]>, readonly pullup = 4700) {
    this.table = tableOrError(samples.map(([t, r]) => [r, t] as const));
  }

  calcTemp(adc: number): number {
    const a = Math.max(0.00001, Math.min(0.99999, adc));
    return this.table.interpolate((this.pullup * a) / (1 - a));
  }
  calcAdc(temp: number): number {
    const r = this.table.reverseInterpolate(temp);
    return r / (this.pullup + r);
  }
}

function tableOrError(points: ReadonlyArray<readonly [number, number]>): LinearInterpolate {
  try {
    return new LinearInterpolate(points);
  } catch (e) {
    throw new SensorTableError((e as Error).message);
  }
}

/** Platinum RTD resistance every 10 °C from 0 to 490 °C (Callendar–Van Dusen, IEC 60751 A and B). */
export function platinumRtdTable(r0: number): Array<readonly [number, number]> {
  const A = 3.9083e-3, B = -5.775e-7;
  const rows: Array<readonly [number, number]> = [];
  for (let t = 0; t < 500; t += 10) rows.push([t, r0 * (1 + A * t + B * t * t)]);
  return rows;
}

/** PT100 on the common INA826 board: 4400 Ω pullup to 5 V, amplified ten times. */
export function pt100Ina826Table(): Array<readonly [number, number]> {
  return platinumRtdTable(100).map(([t, r]) => [t, (10 * 5 * r) / (4400 + r)] as const);
}
