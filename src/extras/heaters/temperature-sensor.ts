// [temperature_sensor NAME]: a sensor that is only read (M105 via gcode_id, TEMPERATURE_WAIT, status),
// with the lowest and highest temperatures seen since start.
import type { ConfigSection } from "../../core/config/section.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { KELVIN_TO_CELSIUS } from "./adc-converter.ts";
import { round2 } from "./heater.ts";
import { lookupHeaters } from "./heaters.ts";

export class TemperatureSensorModule {
  readonly name: string;
  readonly minTemp: number;
  readonly maxTemp: number;
  lastTemp = 0;
  measuredMin = 99999999;
  measuredMax = 0;

  constructor(config: ConfigSection, printer: Printer) {
    this.name = config.getName().split(/\s+/).pop()!;
    const heaters = lookupHeaters(printer);
    const sensor = heaters.setupSensor(config);
    this.minTemp = config.getFloat("min_temp", KELVIN_TO_CELSIUS, { minval: KELVIN_TO_CELSIUS })!;
    this.maxTemp = config.getFloat("max_temp", 99999999.9, { above: this.minTemp })!;
    sensor.setupMinmax(this.minTemp, this.maxTemp);
    sensor.setupCallback((_t, temp) => this.temperatureCallback(temp));
    heaters.registerSensor(config, this);
  }

  private temperatureCallback(temp: number): void {
    this.lastTemp = temp;
    if (temp) {
      this.measuredMin = Math.min(this.measuredMin, temp);
      this.measuredMax = Math.max(this.measuredMax, temp);
    }
  }

  getTemp(_eventTime: number): [number, number] {
    return [this.lastTemp, 0];
  }

  stats(_eventTime: number): { active: boolean; text: string } {
    return { active: false, text: `${this.name}: temp=${this.lastTemp.toFixed(1)}` };
  }

  getStatus(): { temperature: number; measured_min_temp: number; measured_max_temp: number } {
    return { temperature: round2(this.lastTemp), measured_min_temp: round2(this.measuredMin), measured_max_temp: round2(this.measuredMax) };
  }
}

registerModule("temperature_sensor ", (config, printer) => new TemperatureSensorModule(config, printer));
