// What a heater or temperature_sensor needs from a temperature sensor, whatever it measures with.
export type TemperatureCallback = (readTime: number, temp: number) => void;

export interface TemperatureSensor {
  /** Range the reading must stay in; analog sensors turn it into the MCU's ADC range check. */
  setupMinmax(minTemp: number, maxTemp: number): void;
  setupCallback(cb: TemperatureCallback): void;
  /** Seconds between readings. */
  getReportTimeDelta(): number;
}
