// [display_template NAME], [display_data GROUP NAME] and [display_glyph NAME] sections (parsed and
// checked once, shared as the "display_template" object), and the "template_evaluator": renders
// display templates twice a second for outputs driven by them (SET_LED_TEMPLATE), each render
// calling its output's callback with the text.
import { ConfigError } from "../../core/config/errors.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { GCodeError } from "../../core/gcode/errors.ts";
import { lookupReactor } from "../../core/host-timers.ts";
import { type GCodeTemplate, lookupGCodeMacro } from "../macros/gcode-macro.ts";
import { LiteralError, type PyLiteral, parsePyLiteral } from "../macros/python-literal.ts";
import type { Printer } from "../../core/printer.ts";
import type { GlyphData } from "./lcd-chips.ts";

/** Built-in display_data groups (Klipper's defaults for 16 and 20 column screens). */
const DEFAULT_GROUPS = ["_default_16x4", "_default_20x4"];
const RENDER_TIME = 0.5;

/** Rows of a glyph drawing ('*' or '1' set, '.' or '0' clear) as numbers. */
export function parseGlyph(config: ConfigSection, name: string, data: string, width: number, height: number): number[] {
  const rows: number[] = [];
  for (const raw of data.split("\n")) {
    const line = raw.trim().replaceAll(".", "0").replaceAll("*", "1");
    if (!line) continue;
    if (line.length !== width || /[^01]/.test(line)) throw new ConfigError(`Invalid glyph line in ${name} (section '${config.getName()}')`);
    rows.push(Number.parseInt(line, 2));
  }
  if (rows.length !== height) throw new ConfigError(`Glyph ${name} incorrect lines (section '${config.getName()}')`);
  return rows;
}

/** A display_template: its text template and default parameters. */
export class DisplayTemplate {
  constructor(readonly name: string, readonly template: GCodeTemplate, readonly params: Record<string, PyLiteral>) {}

  render(context: Record<string, unknown>, overrides: Record<string, PyLiteral> = {}): string {
    for (const k of Object.keys(overrides))
      if (!(k in this.params)) throw new GCodeError(`Invalid parameter to display_template ${this.name}`);
    return this.template.render({ ...context, ...this.params, ...overrides });
  }
}

/** One [display_data GROUP NAME] item: where its text goes and the template that makes it. */
export interface DataItem {
  row: number;
  col: number;
  name: string;
  template: GCodeTemplate;
}

export class DisplayTemplates {
  /** Group name -> items in screen order (the built-in default groups have none here). */
  readonly groups = new Map<string, DataItem[]>(DEFAULT_GROUPS.map((g) => [g, []]));
  readonly glyphs = new Map<string, GlyphData>();
  readonly templates = new Map<string, DisplayTemplate>();

  constructor(config: ConfigSection, printer: Printer) {
    const macros = lookupGCodeMacro(printer);
    for (const c of config.getPrefixSections("display_template ")) {
      const parts = c.getName().split(/\s+/);
      if (parts.length !== 2) throw new ConfigError(`Section name '${c.getName()}' is not valid`);
      const params: Record<string, PyLiteral> = {};
      for (const option of c.getPrefixOptions("param_")) {
        try {
          params[option] = parsePyLiteral(c.get(option));
        } catch (e) {
          if (!(e instanceof LiteralError)) throw e;
          throw new ConfigError(`Option '${option}' in section '${c.getName()}' is not a valid literal`);
        }
      }
      this.templates.set(parts[1]!, new DisplayTemplate(parts[1]!, macros.loadTemplate(c, "text"), params));
    }
    for (const c of config.getPrefixSections("display_data ")) {
      const parts = c.getName().split(/\s+/);
      if (parts.length !== 3) throw new ConfigError(`Section name '${c.getName()}' is not valid`);
      const pos = /^\s*(-?\d+)\s*,\s*(-?\d+)\s*$/.exec(c.get("position"));
      if (!pos) throw new ConfigError(`Unable to parse 'position' in section '${c.getName()}'`);
      const items = this.groups.get(parts[1]!) ?? [];
      this.groups.set(parts[1]!, items);
      if (c.get("text")) items.push({ row: Number(pos[1]), col: Number(pos[2]), name: c.getName(), template: macros.loadTemplate(c, "text") });
    }
    for (const c of config.getPrefixSections("display_glyph ")) {
      const name = c.getName().slice("display_glyph ".length);
      const glyph: GlyphData = {};
      const data = c.get("data", null);
      if (data !== null) {
        const rows = parseGlyph(c, name, data, 16, 16);
        glyph.icon16x16 = [rows.map((b) => (b >> 8) & 0xff), rows.map((b) => b & 0xff)];
      }
      const hd = c.get("hd44780_data", null);
      if (hd !== null) {
        const slot = c.getInt("hd44780_slot", undefined, { minval: 0, maxval: 7 });
        glyph.icon5x8 = [slot, parseGlyph(c, name, hd, 5, 8)];
      }
      this.glyphs.set(name, glyph);
    }
    const key = (i: DataItem): [number, number, string] => [i.row, i.col, i.name];
    for (const items of this.groups.values())
      items.sort((a, b) => {
        const [ka, kb] = [key(a), key(b)];
        return ka[0] - kb[0] || ka[1] - kb[1] || (ka[2] < kb[2] ? -1 : ka[2] > kb[2] ? 1 : 0);
      });
  }

  /** The template context plus render(name, params) for display_template sections. */
  renderContext(printer: Printer, eventTime: number): Record<string, unknown> {
    const context: Record<string, unknown> = lookupGCodeMacro(printer).createContext(eventTime);
    context.render = (name: string, kwargs: Record<string, PyLiteral> = {}) => {
      const t = this.templates.get(name);
      if (!t) throw new GCodeError(`Unknown display_template '${name}'`);
      return t.render(context, kwargs);
    };
    return context;
  }
}

export function lookupDisplayTemplates(config: ConfigSection, printer: Printer): DisplayTemplates {
  let t = printer.lookupObject<DisplayTemplates | null>("display_template", null);
  if (!t) {
    t = new DisplayTemplates(config, printer);
    printer.addObject("display_template", t);
  }
  return t;
}

type TextCallback = (text: string) => void;
interface Active {
  template: DisplayTemplate;
  params: Record<string, PyLiteral>;
  flush: (() => void) | null;
}

/** Renders the display templates assigned to outputs, twice a second while any is assigned. */
export class TemplateEvaluator {
  private readonly active = new Map<TextCallback, Active>();
  private running = false;

  constructor(private readonly printer: Printer, private readonly templates: DisplayTemplates) {}

  /** TEMPLATE=name [PARAM_x=literal ...] assigns a template to `cb`; an empty TEMPLATE removes it. */
  setTemplate(g: GCodeCommand, cb: TextCallback, flush: (() => void) | null = null): void {
    const name = g.get("TEMPLATE");
    if (!name) {
      this.active.delete(cb);
      return;
    }
    const template = this.templates.templates.get(name);
    if (!template) throw g.error(`Unknown display_template '${name}'`);
    const params: Record<string, PyLiteral> = {};
    for (const [k, v] of Object.entries(g.getCommandParameters())) {
      if (!k.startsWith("PARAM_")) continue;
      const p = k.toLowerCase();
      if (!(p in template.params)) throw g.error(`Invalid display_template parameter: ${p}`);
      try {
        params[p] = parsePyLiteral(v);
      } catch {
        throw g.error(`Unable to parse '${v}' as a literal`);
      }
    }
    this.active.set(cb, { template, params, flush });
    this.start();
  }

  private start(): void {
    if (this.running) return;
    const reactor = lookupReactor(this.printer);
    if (!reactor) return;
    this.running = true;
    const tick = () => {
      if (!this.active.size) {
        this.running = false;
        return;
      }
      this.renderAll(reactor.monotonic());
      reactor.setTimer("template_evaluator", reactor.monotonic() + RENDER_TIME, tick);
    };
    reactor.setTimer("template_evaluator", reactor.monotonic(), tick);
  }

  /** Render every assigned template once (equal template+parameters only once). */
  renderAll(eventTime: number): void {
    const context = this.templates.renderContext(this.printer, eventTime);
    const cache = new Map<string, string>();
    const flushes = new Set<() => void>();
    for (const [cb, a] of this.active) {
      const key = `${a.template.name}\u0000${JSON.stringify(a.params)}`;
      let text = cache.get(key);
      if (text === undefined) {
        try {
          text = a.template.render(context, a.params);
        } catch {
          text = "";
        }
        cache.set(key, text);
      }
      if (a.flush) flushes.add(a.flush);
      cb(text);
    }
    for (const f of flushes) f();
  }
}

export function lookupTemplateEvaluator(config: ConfigSection, printer: Printer): TemplateEvaluator {
  let te = printer.lookupObject<TemplateEvaluator | null>("template_evaluator", null);
  if (!te) {
    te = new TemplateEvaluator(printer, lookupDisplayTemplates(config, printer));
    printer.addObject("template_evaluator", te);
  }
  return te;
}
