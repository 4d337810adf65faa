// [gcode_button NAME]: run press_gcode / release_gcode when a button (digital pin, or a window of
// an analog resistor ladder) changes; QUERY_BUTTON reports its state.
import type { ConfigSection } from "../../core/config/section.ts";
import { type GCodeTemplate, lookupGCodeMacro } from "../macros/gcode-macro.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { lookupButtons } from "./buttons.ts";

class GCodeButton {
  private readonly name: string;
  private lastState = 0;
  private readonly press: GCodeTemplate;
  private readonly release: GCodeTemplate;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    this.name = config.getName().split(" ").at(-1)!;
    const pin = config.get("pin");
    const buttons = lookupButtons(printer);
    const cb = (_t: number, state: number) => void this.onChange(state);
    if (config.get("analog_range", null) === null) buttons.registerDebounceButton(pin, cb, config);
    else {
      const [amin, amax] = config.getFloatList("analog_range", undefined, { count: 2 }) as [number, number];
      const pullup = config.getFloat("analog_pullup_resistor", 4700, { above: 0 });
      buttons.registerDebounceAdcButton(pin, amin, amax, pullup, cb, config);
    }
    const macros = lookupGCodeMacro(printer);
    this.press = macros.loadTemplate(config, "press_gcode");
    this.release = macros.loadTemplate(config, "release_gcode", "");
    printer.gcode.registerMux("QUERY_BUTTON", "BUTTON", this.name, (g) => g.respondInfo(`${this.name}: ${this.getStatus().state}`), "Report on the state of a button");
  }

  private async onChange(state: number): Promise<void> {
    this.lastState = state;
    try {
      const script = (state ? this.press : this.release).render();
      if (script.trim()) await this.printer.gcode.runScript(script);
    } catch (e) {
      this.printer.gcode.respondInfo(`gcode_button ${this.name}: script error: ${(e as Error).message}`);
    }
  }

  getStatus(): { state: "PRESSED" | "RELEASED" } {
    return { state: this.lastState ? "PRESSED" : "RELEASED" };
  }
}

registerModule("gcode_button ", (config, printer) => new GCodeButton(config, printer));
