// sensor_type: temperature_mcu — the MCU's internal temperature sensor (ADC_TEMPERATURE pin), a linear
// reading with a per-chip nominal slope and base (or user calibration points). Chips whose calibration
// lives in factory ROM (STM32F4/G0/H7, SAMD) need debug_read queries, which are not supported yet.
import { ConfigError } from "../../core/config/errors.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import type { Printer } from "../../core/printer.ts";
import { setupAdcPin } from "../../core/mcu-pins/pin-setup.ts";
import { isFileOutput } from "../../core/host-timers.ts";
import type { AdcInput } from "../../core/mcu-pins/mcu-adc.ts";
import type { TemperatureCallback, TemperatureSensor } from "./sensor.ts";

const SAMPLE_TIME = 0.001;
const SAMPLE_COUNT = 8;
const REPORT_TIME = 0.3;
const RANGE_CHECK_COUNT = 4;

/** Nominal (slope °C per full-scale ADC, reference temperature, ADC at that temperature) by MCU name prefix. */
const NOMINAL: Array<[prefix: string, slope: number, refTemp: number, refAdc: number]> = [
  ["rp2", 3.3 / -0.001721, 27, 0.706 / 3.3],
  ["sam3", 3.3 / 0.00265, 27, 0.8 / 3.3],
  ["sam4", 3.3 / 0.0047, 27, 1.44 / 3.3],
  ["same70", 3.3 / 0.00233, 25, 0.72 / 3.3],
  ["stm32f1", 3.3 / -0.0043, 25, 1.43 / 3.3],
  ["stm32f2", 3.3 / 0.0025, 25, 0.76 / 3.3],
];

export class TemperatureMcu implements TemperatureSensor {
  readonly adc: AdcInput;
  private callback: TemperatureCallback | null = null;
  private minTemp = 0;
  private maxTemp = 0;
  slope = 0;
  baseTemperature = 0;
  private readonly temp1: number | null;
  private readonly adc1: number | null;
  private readonly temp2: number | null;
  private readonly adc2: number | null;

  constructor(config: ConfigSection, printer: Printer) {
    const mcuName = config.get("sensor_mcu", "mcu")!;
    this.temp1 = config.getFloat("sensor_temperature1", null);
    this.adc1 = this.temp1 === null ? null : config.getFloat("sensor_adc1", undefined, { minval: 0, maxval: 1 })!;
    this.temp2 = this.temp1 === null ? null : config.getFloat("sensor_temperature2", null);
    this.adc2 = this.temp2 === null ? null : config.getFloat("sensor_adc2", undefined, { minval: 0, maxval: 1 })!;
    this.adc = setupAdcPin(printer.pins, `${mcuName}:ADC_TEMPERATURE`, config.getName());
    this.adc.setupAdcCallback((samples) => {
      const [readTime, value] = samples[samples.length - 1]!;
      this.callback?.(readTime + SAMPLE_COUNT * SAMPLE_TIME, this.calcTemp(value));
    });
    if (isFileOutput(printer)) {
      // No MCU to identify: sample without a range check, as klippy does in file output.
      this.adc.setupAdcSample({ reportTime: REPORT_TIME, sampleTime: SAMPLE_TIME, sampleCount: SAMPLE_COUNT });
      return;
    }
    printer.registerEventHandler("klippy:mcu_identify", () => this.handleIdentify());
  }

  calcTemp(adc: number): number { return this.baseTemperature + adc * this.slope; }
  calcAdc(temp: number): number { return (temp - this.baseTemperature) / this.slope; }

  setupMinmax(minTemp: number, maxTemp: number): void {
    this.minTemp = minTemp;
    this.maxTemp = maxTemp;
  }
  setupCallback(cb: TemperatureCallback): void { this.callback = cb; }
  getReportTimeDelta(): number { return REPORT_TIME; }

  private handleIdentify(): void {
    const mcuType = String(this.adc.mcu.getConstant("MCU"));
    const nominal = NOMINAL.find(([prefix]) => mcuType.startsWith(prefix));
    if (!nominal) throw new ConfigError(`MCU temperature not supported on ${mcuType}`);
    const [, slope, refTemp, refAdc] = nominal;
    this.slope = slope;
    this.baseTemperature = refTemp - refAdc * slope;
    if (this.temp1 !== null && this.adc1 !== null) {
      if (this.temp2 !== null && this.adc2 !== null) this.slope = (this.temp2 - this.temp1) / (this.adc2 - this.adc1);
      this.baseTemperature = this.temp1 - this.adc1 * this.slope;
    }
    const [lo, hi] = [this.calcAdc(this.minTemp), this.calcAdc(this.maxTemp)].sort((a, b) => a - b);
    this.adc.setupAdcSample({
      reportTime: REPORT_TIME, sampleTime: SAMPLE_TIME, sampleCount: SAMPLE_COUNT,
      minValue: lo, maxValue: hi, rangeCheckCount: RANGE_CHECK_COUNT,
    });
  }
}
