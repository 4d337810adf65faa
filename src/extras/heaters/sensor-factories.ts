// Sensor types by name (the sensor_type option) and how each is built from its config section.
// Built-in names come from builtin-sensors.ts; [thermistor NAME] and [adc_temperature NAME] sections
// add more. Each factory reads its own options (pullup_resistor, adc_voltage, ...) so a typo is caught.
import { ConfigError } from "../../core/config/errors.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import type { PrinterPins } from "../../core/pins.ts";
import { setupAdcPin } from "../../core/mcu-pins/pin-setup.ts";
import type { AdcConverter } from "./adc-converter.ts";
import { KELVIN_TO_CELSIUS } from "./adc-converter.ts";
import { AdcTemperatureSensor } from "./adc-temperature-sensor.ts";
import { BUILTIN_RESISTANCE_SENSORS, BUILTIN_THERMISTORS, BUILTIN_VOLTAGE_SENSORS } from "./builtin-sensors.ts";
import { LinearResistance, LinearVoltage, SensorTableError } from "./linear-sensors.ts";
import type { TemperatureSensor } from "./sensor.ts";
import { Thermistor, type ThermistorParams } from "./thermistor.ts";

export type SensorFactory = (config: ConfigSection) => TemperatureSensor;

/** An ADC sensor on the section's sensor_pin with the given converter. */
function adcSensor(pins: PrinterPins, config: ConfigSection, converter: AdcConverter): AdcTemperatureSensor {
  const adc = setupAdcPin(pins, config.get("sensor_pin")!, config.getName());
  return new AdcTemperatureSensor(config.getName(), adc, converter);
}

function tableError(config: ConfigSection, e: unknown): never {
  if (e instanceof SensorTableError) throw new ConfigError(`adc_temperature ${e.message} in heater ${config.getName()}`);
  throw e;
}

export function thermistorFactory(pins: PrinterPins, params: ThermistorParams): SensorFactory {
  return (config) => {
    const pullup = config.getFloat("pullup_resistor", 4700, { above: 0 })!;
    const inline = config.getFloat("inline_resistor", 0, { minval: 0 })!;
    return adcSensor(pins, config, new Thermistor(pullup, inline, params));
  };
}

export function voltageTableFactory(pins: PrinterPins, table: ReadonlyArray<readonly [number, number]>): SensorFactory {
  return (config) => {
    const adcVoltage = config.getFloat("adc_voltage", 5, { above: 0 })!;
    const offset = config.getFloat("voltage_offset", 0)!;
    let conv: LinearVoltage;
    try {
      conv = new LinearVoltage(table, adcVoltage, offset);
    } catch (e) {
      tableError(config, e);
    }
    return adcSensor(pins, config, conv);
  };
}

export function resistanceTableFactory(pins: PrinterPins, table: ReadonlyArray<readonly [number, number]>): SensorFactory {
  return (config) => {
    const pullup = config.getFloat("pullup_resistor", 4700, { above: 0 })!;
    let conv: LinearResistance;
    try {
      conv = new LinearResistance(table, pullup);
    } catch (e) {
      tableError(config, e);
    }
    return adcSensor(pins, config, conv);
  };
}

/** Factories for every sensor type Klipper knows without a config section (analog ones). */
export function builtinSensorFactories(pins: PrinterPins): Map<string, SensorFactory> {
  const m = new Map<string, SensorFactory>();
  for (const [name, p] of Object.entries(BUILTIN_THERMISTORS)) m.set(name, thermistorFactory(pins, p));
  for (const [name, t] of Object.entries(BUILTIN_VOLTAGE_SENSORS)) m.set(name, voltageTableFactory(pins, t));
  for (const [name, t] of Object.entries(BUILTIN_RESISTANCE_SENSORS)) m.set(name, resistanceTableFactory(pins, t));
  return m;
}

/** The sensor type name a [thermistor NAME] / [adc_temperature NAME] section defines. */
export function definedTypeName(config: ConfigSection): string {
  return config.getName().split(/\s+/).slice(1).join(" ");
}

/** [thermistor NAME]: three temperature/resistance points, or one point and a beta. */
export function readCustomThermistor(config: ConfigSection): ThermistorParams {
  const t1 = config.getFloat("temperature1", undefined, { minval: KELVIN_TO_CELSIUS })!;
  const r1 = config.getFloat("resistance1", undefined, { minval: 0 })!;
  const beta = config.getFloat("beta", null, { above: 0 });
  if (beta !== null) return { kind: "beta", t1, r1, beta };
  const t2 = config.getFloat("temperature2", undefined, { minval: KELVIN_TO_CELSIUS })!;
  const r2 = config.getFloat("resistance2", undefined, { minval: 0 })!;
  const t3 = config.getFloat("temperature3", undefined, { minval: KELVIN_TO_CELSIUS })!;
  const r3 = config.getFloat("resistance3", undefined, { minval: 0 })!;
  const pts = [[t1, r1], [t2, r2], [t3, r3]].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  return { kind: "steinhart-hart", t1: pts[0]![0]!, r1: pts[0]![1]!, t2: pts[1]![0]!, r2: pts[1]![1]!, t3: pts[2]![0]!, r3: pts[2]![1]! };
}

/** [adc_temperature NAME]: temperatureN with voltageN (a voltage table) or resistanceN (a resistance table). */
export function readCustomAdcTemperature(pins: PrinterPins, config: ConfigSection): SensorFactory {
  const byResistance = config.get("resistance1", null) !== null;
  const rows: Array<readonly [number, number]> = [];
  for (let i = 1; i < 1000; i++) {
    const t = config.getFloat(`temperature${i}`, null);
    if (t === null) break;
    rows.push([t, config.getFloat(byResistance ? `resistance${i}` : `voltage${i}`)!]);
  }
  return byResistance ? resistanceTableFactory(pins, rows) : voltageTableFactory(pins, rows);
}
