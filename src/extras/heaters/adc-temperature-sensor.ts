// An analog temperature sensor on an MCU ADC pin: the converter turns normalized readings into
// degrees, and the heater's min/max temperatures become the raw ADC range the MCU enforces itself.
import type { AdcConverter } from "./adc-converter.ts";
import type { AdcInput } from "../../core/mcu-pins/mcu-adc.ts";
import type { TemperatureCallback, TemperatureSensor } from "./sensor.ts";

const SAMPLE_TIME = 0.001;
const SAMPLE_COUNT = 8;
const REPORT_TIME = 0.3;
/** Consecutive out-of-range reports before the MCU shuts down. */
export const RANGE_CHECK_COUNT = 4;

export class AdcTemperatureSensor implements TemperatureSensor {
  private callback: TemperatureCallback | null = null;
  minTemp = 0;
  maxTemp = 0;

  constructor(readonly name: string, readonly adc: AdcInput, readonly converter: AdcConverter) {
    adc.setupAdcCallback((samples) => {
      const [readTime, value] = samples[samples.length - 1]!;
      // The reading is the mean of SAMPLE_COUNT samples; date it at the end of the sampling.
      this.callback?.(readTime + SAMPLE_COUNT * SAMPLE_TIME, converter.calcTemp(value));
    });
  }

  setupCallback(cb: TemperatureCallback): void { this.callback = cb; }
  getReportTimeDelta(): number { return REPORT_TIME; }

  setupMinmax(minTemp: number, maxTemp: number): void {
    this.minTemp = minTemp;
    this.maxTemp = maxTemp;
    const [lo, hi] = [this.converter.calcAdc(minTemp), this.converter.calcAdc(maxTemp)].sort((a, b) => a - b);
    this.adc.setupAdcSample({
      reportTime: REPORT_TIME, sampleTime: SAMPLE_TIME, sampleCount: SAMPLE_COUNT,
      minValue: lo, maxValue: hi, rangeCheckCount: RANGE_CHECK_COUNT,
    });
  }

  /** Explanation for an MCU "ADC out of range" shutdown, when the last reading shows it. */
  clarifyAdcRange(): string | null {
    const [readTime, value] = this.adc.getLastValue();
    if (!readTime) return null;
    const t = this.converter.calcTemp(value);
    if (t >= this.minTemp && t <= this.maxTemp) return null;
    return `Sensor '${this.name}' temperature ${t.toFixed(3)} not in range ${this.minTemp.toFixed(3)}:${this.maxTemp.toFixed(3)}`;
  }
}
