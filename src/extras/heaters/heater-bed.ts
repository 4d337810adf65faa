// [heater_bed]: the bed heater (M105 id "B") with M140 (set) and M190 (set and wait).
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import type { Heater } from "./heater.ts";
import { lookupHeaters } from "./heaters.ts";

export class PrinterHeaterBed {
  readonly heater: Heater;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    this.heater = lookupHeaters(printer).setupHeater(config, "B");
    printer.gcode.register("M140", (g) => this.cmdM140(g, false));
    printer.gcode.register("M190", (g) => this.cmdM140(g, true));
  }

  private cmdM140(gcmd: GCodeCommand, wait: boolean): Promise<void> {
    const temp = gcmd.getFloat("S", 0);
    return lookupHeaters(this.printer).setTemperature(this.heater, temp, wait);
  }

  getStatus(): ReturnType<Heater["getStatus"]> {
    return this.heater.getStatus();
  }
  stats(eventTime: number): { active: boolean; text: string } {
    return this.heater.stats(eventTime);
  }
}

registerModule("heater_bed", (config, printer) => new PrinterHeaterBed(config, printer));

// [heater_generic NAME]: any other heater (chamber, ...), driven by SET_HEATER_TEMPERATURE.
registerModule("heater_generic ", (config, printer) => lookupHeaters(printer).setupHeater(config));
