// [gcode_macro NAME] sections and the "gcode_macro" template service (Klipper's gcode_macro):
// templates see `printer` (every object's status, looked up lazily), `params`, `rawparams`,
// the macro's variables and the action_* functions; SET_GCODE_VARIABLE changes variables;
// rename_existing wraps a built-in command.
import { ConfigError } from "../../core/config/errors.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { GCodeError } from "../../core/gcode/errors.ts";
import { isTraditionalGCode } from "../../core/gcode/tokenize.ts";
import { hostTime } from "../../core/host-timers.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { LiteralError, parsePyLiteral, type PyLiteral, setOwn } from "./python-literal.ts";
import { PyError } from "./python-format.ts";
import { coordValue, fromRuntime, pyStr, type RuntimeValue, rvDict, rvFloat, rvFunction, rvStr, toRuntime } from "./python-values.ts";
import { Template, TemplateError } from "./template.ts";

interface StatusObject {
  getStatus(eventtime: number): unknown;
}
const hasStatus = (o: unknown): o is StatusObject => typeof (o as StatusObject | null)?.getStatus === "function";

/** Status fields that are Klipper Coord tuples of floats (read as .x/.y/.z/.e or [0]..[3]). */
const COORD_FIELDS: Record<string, readonly string[]> = {
  toolhead: ["position", "axis_minimum", "axis_maximum"],
  gcode_move: ["position", "gcode_position", "homing_origin"],
  motion_report: ["live_position"],
};

/**
 * The `printer` template variable: every printer object's status, fetched on first use and
 * kept for the rest of the render (Klipper's GetStatusWrapper). Iterating lists every object
 * that has a status.
 */
class StatusLookup extends Map<string, RuntimeValue> {
  private complete = false;

  constructor(
    private readonly printer: Printer,
    private readonly eventtime: number,
  ) {
    super();
  }

  override get(key: string): RuntimeValue | undefined {
    const name = key.trim();
    const cached = super.get(name);
    if (cached || this.complete) return cached;
    const obj = this.printer.lookupObject<unknown>(name, null);
    if (!hasStatus(obj)) return undefined;
    const status = toRuntime(obj.getStatus(this.eventtime));
    const coords = COORD_FIELDS[name];
    if (coords && status.type === "ObjectValue") {
      const fields = status.value as Map<string, RuntimeValue>;
      for (const f of coords) {
        const v = fields.get(f);
        if (v?.type === "ArrayValue") fields.set(f, coordValue((v.value as RuntimeValue[]).map((x) => (x.type === "IntegerValue" ? rvFloat(x.value) : x))));
      }
    }
    super.set(name, status);
    return status;
  }

  override has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  private fill(): void {
    if (this.complete) return;
    for (const [name, obj] of this.printer.lookupObjects()) if (hasStatus(obj)) this.get(name);
    this.complete = true;
  }

  override get size(): number {
    this.fill();
    return super.size;
  }
  override keys(): MapIterator<string> {
    this.fill();
    return super.keys();
  }
  override values(): MapIterator<RuntimeValue> {
    this.fill();
    return super.values();
  }
  override entries(): MapIterator<[string, RuntimeValue]> {
    this.fill();
    return super.entries();
  }
  override [Symbol.iterator](): MapIterator<[string, RuntimeValue]> {
    return this.entries();
  }
  override forEach(cb: (value: RuntimeValue, key: string, map: Map<string, RuntimeValue>) => void): void {
    this.fill();
    super.forEach(cb);
  }
}

/** Something the API layer can provide to forward action_call_remote_method. */
interface RemoteMethods {
  callRemoteMethod(method: string, params: Record<string, unknown>): void;
}

/** A loaded template bound to its printer (Klipper's TemplateWrapper). */
export class GCodeTemplate {
  constructor(
    private readonly macros: PrinterGCodeMacro,
    private readonly printer: Printer,
    readonly template: Template,
  ) {}

  get name(): string {
    return this.template.name;
  }

  createTemplateContext(eventtime?: number): Record<string, unknown> {
    return this.macros.createContext(eventtime);
  }

  /** The rendered text; a failure is a G-code error ("Error evaluating '...': ..."). */
  render(context: Record<string, unknown> = this.createTemplateContext()): string {
    try {
      return this.template.render(context);
    } catch (e) {
      if (e instanceof TemplateError) throw new GCodeError(e.message);
      throw e;
    }
  }

  /** Render and run from inside a command handler (the G-code mutex is held). */
  async runGcodeFromCommand(context?: Record<string, unknown>): Promise<void> {
    await this.printer.gcode.runScriptFromCommand(this.render(context));
  }
}

/** The "gcode_macro" printer object: loads templates and builds their context. */
export class PrinterGCodeMacro {
  constructor(private readonly printer: Printer) {}

  /** Compile option `option` of `config` (or `def` when absent) as a template. */
  loadTemplate(config: ConfigSection, option: string, def?: string): GCodeTemplate {
    const name = `${config.getName()}:${option}`;
    const script = def === undefined ? config.get(option) : config.get(option, def);
    try {
      return new GCodeTemplate(this, this.printer, new Template(name, script));
    } catch (e) {
      if (e instanceof TemplateError) throw new ConfigError(e.message);
      throw e;
    }
  }

  /** Context every template gets: `printer` and the action_* functions (their arguments are
   * printed as Python's str() would). */
  createContext(eventtime?: number): Record<string, unknown> {
    const printer = this.printer;
    const text = (v: RuntimeValue | undefined, def = "") => (v === undefined ? def : pyStr(v));
    const noOutput = rvStr("");
    return {
      printer: rvDict(new StatusLookup(printer, eventtime ?? hostTime(printer))),
      action_emergency_stop: rvFunction(([msg]) => {
        printer.invokeShutdown(`Shutdown due to ${text(msg, "action_emergency_stop")}`);
        return noOutput;
      }),
      action_respond_info: rvFunction(([msg]) => {
        printer.gcode.respondInfo(text(msg));
        return noOutput;
      }),
      action_raise_error: rvFunction(([msg]) => {
        throw new PyError("gcode.CommandError", text(msg));
      }),
      action_call_remote_method: rvFunction(([method, ...rest]) => {
        const kwargs = rest.find((a) => a.type === "KeywordArgumentsValue");
        const params = (kwargs ? fromRuntime(kwargs) : {}) as Record<string, unknown>;
        const remote = printer.lookupObject<Partial<RemoteMethods>>("webhooks", null);
        if (remote?.callRemoteMethod) remote.callRemoteMethod(text(method), params);
        else console.error(`action_call_remote_method('${text(method)}', ${JSON.stringify(params)}): no API server to forward it to`);
        return noOutput;
      }),
    };
  }
}

/** The gcode_macro service of `printer` (created on first use). */
export function lookupGCodeMacro(printer: Printer): PrinterGCodeMacro {
  return printer.loadObject<PrinterGCodeMacro>("gcode_macro");
}

export class GCodeMacro {
  readonly alias: string;
  private readonly template: GCodeTemplate;
  private readonly renameExisting: string | null;
  private readonly description: string;
  private variables: Record<string, PyLiteral> = {};
  private inScript = false;

  constructor(
    config: ConfigSection,
    private readonly printer: Printer,
  ) {
    const words = config.getName().split(/\s+/);
    if (words.length > 2) throw new ConfigError(`Name of section '${config.getName()}' contains illegal whitespace`);
    const name = words[1]!;
    this.alias = name.toUpperCase();
    this.template = lookupGCodeMacro(printer).loadTemplate(config, "gcode");
    this.renameExisting = config.get("rename_existing", null);
    this.description = config.get("description", "G-Code macro");
    const gcode = printer.gcode;
    if (this.renameExisting !== null) {
      if (isTraditionalGCode(this.alias) !== isTraditionalGCode(this.renameExisting))
        throw new ConfigError(`G-Code macro rename of different types ('${this.alias}' vs '${this.renameExisting}')`);
      printer.registerEventHandler("klippy:connect", () => this.handleConnect());
    } else {
      gcode.register(this.alias, (g) => this.cmd(g), { desc: this.description });
    }
    gcode.registerMux("SET_GCODE_VARIABLE", "MACRO", name, (g) => this.cmdSetGcodeVariable(g), "Set the value of a G-Code macro variable");
    const prefix = "variable_";
    for (const option of config.getPrefixOptions(prefix)) {
      try {
        setOwn(this.variables, option.slice(prefix.length), parsePyLiteral(config.get(option)));
      } catch (e) {
        if (!(e instanceof LiteralError)) throw e;
        throw new ConfigError(`Option '${option}' in section '${config.getName()}' is not a valid literal: ${e.message}`);
      }
    }
  }

  private handleConnect(): void {
    const gcode = this.printer.gcode;
    const prev = gcode.register(this.alias, null);
    if (!prev) throw new ConfigError(`Existing command '${this.alias}' not found in gcode_macro rename`);
    gcode.register(this.renameExisting!, prev, { desc: `Renamed builtin of '${this.alias}'` });
    gcode.register(this.alias, (g) => this.cmd(g), { desc: this.description });
  }

  getStatus(): Record<string, PyLiteral> {
    return this.variables;
  }

  private cmdSetGcodeVariable(gcmd: GCodeCommand): void {
    const variable = gcmd.get("VARIABLE");
    const value = gcmd.get("VALUE");
    if (!Object.hasOwn(this.variables, variable)) throw gcmd.error(`Unknown gcode_macro variable '${variable}'`);
    let parsed: PyLiteral;
    try {
      parsed = parsePyLiteral(value);
    } catch (e) {
      if (!(e instanceof LiteralError)) throw e;
      throw gcmd.error(`Unable to parse '${value}' as a literal: ${e.message} in '${gcmd.getCommandline()}'`);
    }
    // A new object, so status snapshots taken earlier keep their values
    const next = { ...this.variables };
    setOwn(next, variable, parsed);
    this.variables = next;
  }

  private async cmd(gcmd: GCodeCommand): Promise<void> {
    if (this.inScript) throw gcmd.error(`Macro ${this.alias} called recursively`);
    const context = {
      ...this.variables,
      ...this.template.createTemplateContext(),
      params: { ...gcmd.getCommandParameters() },
      rawparams: gcmd.getRawCommandParameters(),
    };
    this.inScript = true;
    try {
      await this.template.runGcodeFromCommand(context);
    } finally {
      this.inScript = false;
    }
  }
}

registerModule("gcode_macro", (_config, printer) => new PrinterGCodeMacro(printer));
registerModule("gcode_macro ", (config, printer) => new GCodeMacro(config, printer));
