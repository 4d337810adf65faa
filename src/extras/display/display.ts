// [display] / [display NAME]: an LCD with its MCU configuration and init sequence, the menu keys
// (rotary encoder, click/back/up/down/kill buttons, digital or analog), and twice a second the
// active [display_data] group drawn from its templates (text, "~glyph~" and progress bars).
// Klipper's built-in status screens (its own display.cfg) and the menu are not part of Stepline:
// with the default group the screen stays blank, and getStatus() says so.
import { ConfigError } from "../../core/config/errors.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { lookupButtons } from "../inputs/buttons.ts";
import { LCD_TYPES, type LcdChip } from "./lcd-chips.ts";
import { type DisplayTemplates, lookupDisplayTemplates } from "./templates.ts";
import { lookupReactor } from "../../core/host-timers.ts";

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

const REDRAW_TIME = 0.5;

class PrinterLcd {
  private readonly chip: LcdChip;
  private readonly menu: MenuKeys | null = null;
  private readonly templates: DisplayTemplates;
  private group: string;
  private initialised = false;
  private readonly encoder = new TextEncoder();

  constructor(config: ConfigSection, private readonly printer: Printer) {
    const factory = config.getChoice("lcd_type", LCD_TYPES);
    this.chip = factory(config, printer);
    const name = config.getName();
    if (name === "display") this.menu = new MenuKeys(config, printer);
    printer.loadObject("display_status");
    const templates = lookupDisplayTemplates(config, printer);
    this.templates = templates;
    this.chip.setGlyphs(templates.glyphs);
    this.group = config.get("display_group", this.chip.dimensions()[0] === 20 ? "_default_20x4" : "_default_16x4");
    if (!templates.groups.has(this.group)) throw new ConfigError(`Unknown display_data group '${this.group}'`);
    printer.registerEventHandler("klippy:ready", () => {
      this.chip.init();
      this.initialised = true;
      const reactor = lookupReactor(printer);
      if (!reactor) return;
      const timer = `display:${name}`;
      const tick = () => {
        this.redraw(reactor.monotonic());
        reactor.setTimer(timer, reactor.monotonic() + REDRAW_TIME, tick);
      };
      reactor.setTimer(timer, reactor.monotonic(), tick);
    });
    const setGroup = (g: GCodeCommand) => {
      const group = g.get("GROUP");
      if (!templates.groups.has(group)) throw g.error(`Unknown display_data group '${group}'`);
      this.group = group;
    };
    printer.gcode.registerMux("SET_DISPLAY_GROUP", "DISPLAY", name, setGroup, "Set the active display group");
    if (name === "display") printer.gcode.registerMux("SET_DISPLAY_GROUP", "DISPLAY", null, setGroup);
  }

  /** Draw the active display_data group ("~name~" in the text draws a glyph). */
  private redraw(eventTime: number): void {
    this.chip.clear();
    const items = this.templates.groups.get(this.group) ?? [];
    if (items.length) {
      const context = this.templates.renderContext(this.printer, eventTime);
      context.draw_progress_bar = (row: number, col: number, width: number, value: number) => this.progressBar(row, col, width, value);
      for (const item of items) {
        let text: string;
        try {
          text = item.template.render(context);
        } catch {
          continue; // a broken item leaves its place blank
        }
        this.drawText(item.row, item.col, text.replaceAll("\n", ""));
      }
    }
    this.chip.flush();
  }

  private drawText(row: number, col: number, mixed: string): void {
    let pos = col;
    mixed.split("~").forEach((part, i) => {
      if (i % 2 === 0) {
        this.chip.writeText(pos, row, this.encoder.encode(part));
        pos += part.length;
      } else pos += this.chip.writeGlyph(pos, row, part);
    });
  }

  /** A framed bar `width` cells wide, filled to `value` (0..1) from the left. */
  private progressBar(row: number, col: number, width: number, value: number): string {
    const bits = BigInt(width * 8);
    let pixels = -1n << BigInt(Math.trunc(width * 8 * (1 - value) + 0.5));
    pixels |= (1n << (bits - 1n)) | 1n;
    for (let i = 0; i < width; i++) {
      const b = Number((pixels >> BigInt(i * 8)) & 0xffn);
      this.chip.writeGraphics(col + width - 1 - i, row, [0xff, ...new Array(14).fill(b), 0xff]);
    }
    return "";
  }

  getStatus(): Record<string, unknown> {
    return {
      initialised: this.initialised,
      display_group: this.group,
      // Klipper's built-in status screens and the menu are not part of Stepline yet
      screen: (this.templates.groups.get(this.group) ?? []).length ? "display_data" : "blank (no built-in status screen)",
      keys: this.menu ? [...this.menu.presses] : [],
    };
  }
}

registerModule("display", (config, printer) => new PrinterLcd(config, printer));
registerModule("display ", (config, printer) => new PrinterLcd(config, printer));
