// [display] / [display NAME]: an LCD with its MCU configuration and init sequence, the menu keys
// (rotary encoder, click/back/up/down/kill buttons, digital or analog), and the
// [display_template] / [display_data] / [display_glyph] sections, which are parsed and checked.
// Rendering the status screen and the menu from those templates is not implemented yet: the
// screen is initialised and left blank, and getStatus() says so.
import { ConfigError } from "../../config/errors.ts";
import type { ConfigSection } from "../../config/section.ts";
import type { GCodeCommand } from "../../gcode/command.ts";
import { type Printer, registerModule } from "../../printer.ts";
import { lookupButtons } from "../buttons.ts";
import { LCD_TYPES, type LcdChip } from "./lcd-chips.ts";
import { lookupDisplayTemplates } from "./templates.ts";

/** Menu options and input keys of the primary display. */
class MenuKeys {
  readonly presses: string[] = [];
  constructor(config: ConfigSection, printer: Printer) {
    config.get("menu_root", "__main");
    config.getInt("menu_timeout", 0);
    config.getBoolean("menu_reverse_navigation", false);
    const buttons = lookupButtons(printer);
    const owner = config.getName();
    const encoderPins = config.get("encoder_pins", null);
    const perDetent = config.getChoice("encoder_steps_per_detent", [2, 4] as const, 4);
    if (encoderPins !== null) {
      const pins = encoderPins.split(",");
      if (pins.length !== 2) throw new ConfigError(`Unable to parse encoder_pins in section '${owner}'`);
      buttons.registerRotaryEncoder(pins[0]!.trim(), pins[1]!.trim(), () => this.key("up"), () => this.key("down"), perDetent, owner);
    }
    config.getFloat("encoder_fast_rate", 0.030, { above: 0 });
    this.button(config, printer, "click_pin", false);
    for (const name of ["back_pin", "up_pin", "down_pin", "kill_pin"]) this.button(config, printer, name, true);
  }

  private key(name: string): void {
    this.presses.push(name);
    if (this.presses.length > 32) this.presses.shift();
  }

  private button(config: ConfigSection, printer: Printer, option: string, pushOnly: boolean): void {
    const pin = config.get(option, null);
    if (pin === null) return;
    const buttons = lookupButtons(printer);
    const name = option.replace(/_pin$/, "");
    const cb = (_t: number, state: number) => {
      if (state || !pushOnly) this.key(`${name}${pushOnly ? "" : state ? ":down" : ":up"}`);
    };
    if (config.get(`analog_range_${option}`, null) === null) {
      buttons.registerButtons([pin], cb, config.getName());
      return;
    }
    const [amin, amax] = config.getFloatList(`analog_range_${option}`, undefined, { count: 2 }) as [number, number];
    const pullup = config.getFloat("analog_pullup_resistor", 4700, { above: 0 });
    buttons.registerAdcButton(pin, amin, amax, pullup, cb, config.getName());
  }
}

class PrinterLcd {
  private readonly chip: LcdChip;
  private readonly menu: MenuKeys | null = null;
  private group: string;
  private initialised = false;

  constructor(config: ConfigSection, printer: Printer) {
    const factory = config.getChoice("lcd_type", LCD_TYPES);
    this.chip = factory(config, printer);
    const name = config.getName();
    if (name === "display") this.menu = new MenuKeys(config, printer);
    printer.loadObject("display_status");
    const templates = lookupDisplayTemplates(config, printer);
    this.chip.setGlyphs(templates.glyphs);
    this.group = config.get("display_group", this.chip.dimensions()[0] === 20 ? "_default_20x4" : "_default_16x4");
    if (!templates.groups.has(this.group)) throw new ConfigError(`Unknown display_data group '${this.group}'`);
    printer.registerEventHandler("klippy:ready", () => {
      this.chip.init();
      this.initialised = true;
    });
    const setGroup = (g: GCodeCommand) => {
      const group = g.get("GROUP");
      if (!templates.groups.has(group)) throw g.error(`Unknown display_data group '${group}'`);
      this.group = group;
    };
    printer.gcode.registerMux("SET_DISPLAY_GROUP", "DISPLAY", name, setGroup, "Set the active display group");
    if (name === "display") printer.gcode.registerMux("SET_DISPLAY_GROUP", "DISPLAY", null, setGroup);
  }

  getStatus(): Record<string, unknown> {
    return {
      initialised: this.initialised,
      display_group: this.group,
      screen: "blank (status screen and menu rendering not implemented)",
      keys: this.menu ? [...this.menu.presses] : [],
    };
  }
}

registerModule("display", (config, printer) => new PrinterLcd(config, printer));
registerModule("display ", (config, printer) => new PrinterLcd(config, printer));
