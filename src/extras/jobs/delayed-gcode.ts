// [delayed_gcode NAME]: a template run by a timer, initial_duration seconds after the printer
// is ready (0: not until UPDATE_DELAYED_GCODE). From inside its own run, UPDATE_DELAYED_GCODE
// makes it repeat.
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { type GCodeTemplate, lookupGCodeMacro } from "../macros/gcode-macro.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { requireReactor } from "../../core/host-timers.ts";
import { type Reactor, type ReactorTimer, NEVER } from "../../core/reactor.ts";

export class DelayedGcode {
  readonly name: string;
  private readonly template: GCodeTemplate;
  private duration: number;
  private timer: ReactorTimer | null = null;
  private reactor: Reactor | null = null;
  private insideTimer = false;
  private repeat = false;
  /** Last failure of the timer's script (Klipper logs it). */
  lastError: string | null = null;

  constructor(
    config: ConfigSection,
    private readonly printer: Printer,
  ) {
    this.name = config.getName().split(/\s+/)[1]!;
    this.template = lookupGCodeMacro(printer).loadTemplate(config, "gcode");
    this.duration = config.getFloat("initial_duration", 0, { minval: 0 });
    printer.registerEventHandler("klippy:ready", () => this.handleReady());
    printer.gcode.registerMux("UPDATE_DELAYED_GCODE", "ID", this.name, (g) => this.cmdUpdate(g), "Update the duration of a delayed_gcode");
  }

  private handleReady(): void {
    this.reactor = requireReactor(this.printer);
    const waketime = this.duration ? this.reactor.monotonic() + this.duration : NEVER;
    this.timer = this.reactor.registerTimer(`delayed_gcode ${this.name}`, (t) => this.timerEvent(t), waketime);
  }

  private timerEvent(eventtime: number): number {
    this.insideTimer = true;
    // The script runs under the G-code mutex; the timer's next wake is decided when it ends.
    let script: string;
    try {
      script = this.template.render();
    } catch (e) {
      return this.finishRun(eventtime, e);
    }
    this.printer.gcode.runScript(script).then(
      () => this.rearm(this.finishRun(eventtime, null)),
      (e) => this.rearm(this.finishRun(eventtime, e)),
    );
    return NEVER;
  }

  private finishRun(eventtime: number, error: unknown): number {
    this.lastError = error === null ? null : ((error as Error)?.message ?? String(error));
    if (error !== null) console.error(`delayed_gcode ${this.name}: ${this.lastError}`);
    const next = this.repeat ? eventtime + this.duration : NEVER;
    this.insideTimer = false;
    this.repeat = false;
    return next;
  }

  private rearm(waketime: number): void {
    if (this.timer && waketime !== NEVER) this.reactor!.updateTimer(this.timer, waketime);
  }

  private cmdUpdate(gcmd: GCodeCommand): void {
    this.duration = gcmd.getFloat("DURATION", undefined, { minval: 0 });
    if (this.insideTimer) {
      this.repeat = this.duration !== 0;
      return;
    }
    if (!this.timer || !this.reactor) return;
    this.reactor.updateTimer(this.timer, this.duration ? this.reactor.monotonic() + this.duration : NEVER);
  }
}

registerModule("delayed_gcode ", (config, printer) => new DelayedGcode(config, printer));
