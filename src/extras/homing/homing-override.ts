// [homing_override] (Klipper's homing_override): G28 runs the configured
// g-code instead of homing, optionally first declaring the toolhead position
// (set_position_x/y/z). The g-code is a [gcode_macro] template; a G28
// inside it homes normally.
import type { ConfigSection } from "../../core/config/section.ts";
import { ConfigError } from "../../core/config/errors.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import type { GCodeHandler } from "../../core/gcode/dispatch.ts";
import { type GCodeTemplate, lookupGCodeMacro } from "../macros/gcode-macro.ts";
import { type Printer, registerModule } from "../../core/printer.ts";

class HomingOverride {
  private readonly startPos: (number | null)[];
  private readonly axes: string;
  private readonly template: GCodeTemplate;
  private inScript = false;
  private readonly prevG28: GCodeHandler;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    this.startPos = [..."xyz"].map((a) => config.getFloat(`set_position_${a}`, null));
    this.axes = config.get("axes", "XYZ").toUpperCase();
    this.template = lookupGCodeMacro(printer).loadTemplate(config, "gcode");
    printer.loadObject("homing");
    const prev = printer.gcode.register("G28", null);
    if (!prev) throw new ConfigError("homing_override: no G28 command to override");
    this.prevG28 = prev;
    printer.gcode.register("G28", (g) => this.cmdG28(g));
  }

  private async cmdG28(g: GCodeCommand): Promise<void> {
    if (this.inScript) {
      // Called from the override script: home for real
      await this.prevG28(g);
      return;
    }
    const requested = [..."XYZ"].filter((a) => g.get(a, null) !== null);
    const override = requested.length === 0 || [...this.axes].some((a) => requested.includes(a));
    if (!override) {
      await this.prevG28(g);
      return;
    }
    const toolhead = this.printer.lookupObject("toolhead");
    const pos = toolhead.getPosition();
    let homingAxes = "";
    this.startPos.forEach((loc, axis) => {
      if (loc === null) return;
      pos[axis] = loc;
      homingAxes += "xyz"[axis];
    });
    toolhead.setPosition(pos, homingAxes);
    this.inScript = true;
    try {
      await this.template.runGcodeFromCommand({
        ...this.template.createTemplateContext(),
        params: g.getCommandParameters(),
        rawparams: g.getRawCommandParameters(),
      });
    } finally {
      this.inScript = false;
    }
  }
}

registerModule("homing_override", (config, printer) => new HomingOverride(config, printer));
