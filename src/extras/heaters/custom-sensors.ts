// [thermistor NAME] and [adc_temperature NAME]: user-defined sensor types, usable as sensor_type NAME.
import { type Printer, registerModule } from "../../core/printer.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import { lookupHeaters } from "./heaters.ts";
import { definedTypeName, readCustomAdcTemperature, readCustomThermistor, thermistorFactory } from "./sensor-factories.ts";

function defineThermistor(config: ConfigSection, printer: Printer): object {
  const params = readCustomThermistor(config);
  lookupHeaters(printer).addSensorFactory(definedTypeName(config), thermistorFactory(printer.pins, params));
  return { params };
}

function defineAdcTemperature(config: ConfigSection, printer: Printer): object {
  lookupHeaters(printer).addSensorFactory(definedTypeName(config), readCustomAdcTemperature(printer.pins, config));
  return {};
}

registerModule("thermistor ", defineThermistor);
registerModule("adc_temperature ", defineAdcTemperature);
