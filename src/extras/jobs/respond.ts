// [respond]: M118 and RESPOND send messages to the G-code output with a prefix
// ("echo:", "//", "!!" or a custom one).
import type { GCodeCommand } from "../../core/gcode/command.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import { type Printer, registerModule } from "../../core/printer.ts";

const RESPOND_TYPES: Record<string, string> = { echo: "echo:", command: "//", error: "!!" };
const RESPOND_TYPES_NO_SPACE: Record<string, string> = { echo_no_space: "echo:" };

export class HostResponder {
  private readonly defaultPrefix: string;

  constructor(config: ConfigSection, printer: Printer) {
    const byType = config.getChoice("default_type", RESPOND_TYPES, "echo");
    this.defaultPrefix = config.get("default_prefix", byType);
    printer.gcode.register("M118", (g) => g.respondRaw(`${this.defaultPrefix} ${g.getRawCommandParameters()}`), { whenNotReady: true });
    printer.gcode.register("RESPOND", (g) => this.cmdRespond(g), { whenNotReady: true, desc: "Echo the message prepended with a prefix" });
  }

  private cmdRespond(gcmd: GCodeCommand): void {
    let prefix = this.defaultPrefix;
    let space = " ";
    const type = gcmd.get("TYPE", null)?.toLowerCase();
    if (type !== undefined) {
      const withSpace = RESPOND_TYPES[type];
      const noSpace = RESPOND_TYPES_NO_SPACE[type];
      if (withSpace !== undefined) prefix = withSpace;
      else if (noSpace !== undefined) {
        prefix = noSpace;
        space = "";
      } else throw gcmd.error(`RESPOND TYPE '${type}' is invalid. Must be one of 'echo', 'command', or 'error'`);
    }
    prefix = gcmd.get("PREFIX", prefix);
    gcmd.respondRaw(`${prefix}${space}${gcmd.get("MSG", "")}`);
  }
}

registerModule("respond", (config, printer) => new HostResponder(config, printer));
