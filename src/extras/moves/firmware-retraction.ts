// [firmware_retraction]: G10 / G11 retract and unretract the filament by the configured lengths and
// speeds (relative E moves inside a saved G-code state); SET_RETRACTION / GET_RETRACTION.
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { type Printer, registerModule } from "../../core/printer.ts";

class FirmwareRetraction {
  private retractLength: number;
  private retractSpeed: number;
  private unretractExtra: number;
  private unretractSpeed: number;
  private isRetracted = false;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    this.retractLength = config.getFloat("retract_length", 0, { minval: 0 });
    this.retractSpeed = config.getFloat("retract_speed", 20, { minval: 1 });
    this.unretractExtra = config.getFloat("unretract_extra_length", 0, { minval: 0 });
    this.unretractSpeed = config.getFloat("unretract_speed", 10, { minval: 1 });
    const gcode = printer.gcode;
    gcode.register("SET_RETRACTION", (g) => this.cmdSet(g), { desc: "Set firmware retraction parameters" });
    gcode.register("GET_RETRACTION", (g) => g.respondInfo(
      `RETRACT_LENGTH=${this.retractLength.toFixed(5)} RETRACT_SPEED=${this.retractSpeed.toFixed(5)}` +
        ` UNRETRACT_EXTRA_LENGTH=${this.unretractExtra.toFixed(5)} UNRETRACT_SPEED=${this.unretractSpeed.toFixed(5)}`,
    ), { desc: "Report firmware retraction parameters" });
    gcode.register("G10", () => this.move(true));
    gcode.register("G11", () => this.move(false));
  }

  private cmdSet(g: GCodeCommand): void {
    this.retractLength = g.getFloat("RETRACT_LENGTH", this.retractLength, { minval: 0 });
    this.retractSpeed = g.getFloat("RETRACT_SPEED", this.retractSpeed, { minval: 1 });
    this.unretractExtra = g.getFloat("UNRETRACT_EXTRA_LENGTH", this.unretractExtra, { minval: 0 });
    this.unretractSpeed = g.getFloat("UNRETRACT_SPEED", this.unretractSpeed, { minval: 1 });
    this.isRetracted = false;
  }

  private async move(retract: boolean): Promise<void> {
    if (this.isRetracted === retract) return;
    const e = retract ? -this.retractLength : this.retractLength + this.unretractExtra;
    const feed = Math.trunc((retract ? this.retractSpeed : this.unretractSpeed) * 60);
    await this.printer.gcode.runScriptFromCommand(
      `SAVE_GCODE_STATE NAME=_retract_state\nG91\nG1 E${e.toFixed(5)} F${feed}\nRESTORE_GCODE_STATE NAME=_retract_state`,
    );
    this.isRetracted = retract;
  }

  getStatus(): Record<string, number> {
    return { retract_length: this.retractLength, retract_speed: this.retractSpeed, unretract_extra_length: this.unretractExtra, unretract_speed: this.unretractSpeed };
  }
}

registerModule("firmware_retraction", (config, printer) => new FirmwareRetraction(config, printer));
