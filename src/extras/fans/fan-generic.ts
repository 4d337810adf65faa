// [fan_generic NAME]: a fan set by SET_FAN_SPEED FAN=NAME SPEED=<0..1>.
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { Fan } from "./printer-fan.ts";

export class FanGeneric {
  readonly fan: Fan;
  readonly name: string;

  constructor(config: ConfigSection, printer: Printer) {
    this.fan = new Fan(config, printer, 0);
    this.name = config.getName().split(/\s+/).pop()!;
    printer.gcode.registerMux("SET_FAN_SPEED", "FAN", this.name, (g) => this.cmdSetFanSpeed(g), "Sets the speed of a fan");
  }

  private cmdSetFanSpeed(gcmd: GCodeCommand): void {
    const speed = gcmd.getFloat("SPEED", null, { minval: 0 });
    if (gcmd.get("TEMPLATE", null) !== null) throw gcmd.error("SET_FAN_SPEED TEMPLATE is not supported; use SPEED");
    if (speed === null) throw gcmd.error("SET_FAN_SPEED must specify SPEED or TEMPLATE");
    this.fan.setSpeedFromCommand(speed);
  }

  getStatus(): { speed: number; rpm: number | null } {
    return this.fan.getStatus();
  }
}

registerModule("fan_generic ", (config, printer) => new FanGeneric(config, printer));
