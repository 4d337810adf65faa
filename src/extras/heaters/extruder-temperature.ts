// M104 / M109: set (and wait for) an extruder's temperature. T<n> picks [extruder] or [extruder<n>];
// without T the active extruder's heater is used.
import type { GCodeCommand } from "../../core/gcode/command.ts";
import type { Printer } from "../../core/printer.ts";
import type { Heater } from "./heater.ts";
import type { PrinterHeaters } from "./heaters.ts";

/** An extruder printer object: Klipper's get_heater(), or a `heater` field. */
interface HasHeater {
  getHeater?(): Heater;
  heater?: Heater;
}

function heaterOf(obj: HasHeater | null | undefined): Heater | undefined {
  return obj?.getHeater?.() ?? obj?.heater;
}

/** Register M104/M109 unless an extruder module already did. */
export function registerExtruderTemperatureCommands(printer: Printer, heaters: PrinterHeaters): void {
  if (printer.gcode.isRegistered("M104")) return;
  const handler = (wait: boolean) => (gcmd: GCodeCommand) => {
    const temp = gcmd.getFloat("S", 0);
    const index = gcmd.getInt("T", null, { minval: 0 });
    let heater: Heater | undefined;
    if (index !== null) {
      const section = index ? `extruder${index}` : "extruder";
      heater = heaters.heaters.get(section) ?? heaterOf(printer.lookupObject<HasHeater>(section, null));
      if (!heater) {
        if (temp <= 0) return;
        throw gcmd.error("Extruder not configured");
      }
    } else {
      heater = activeExtruderHeater(printer, heaters);
      if (!heater) throw gcmd.error("Extruder not configured");
    }
    return heaters.setTemperature(heater, temp, wait);
  };
  printer.gcode.register("M104", handler(false));
  printer.gcode.register("M109", handler(true));
}

function activeExtruderHeater(printer: Printer, heaters: PrinterHeaters): Heater | undefined {
  // The toolhead's active extruder (a dummy one has no heater).
  const toolhead = printer.lookupObject<{ getExtruder?(): HasHeater }>("toolhead", null);
  return heaterOf(toolhead?.getExtruder?.()) ?? heaters.heaters.get("extruder");
}
