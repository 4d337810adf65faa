// [idle_timeout] (always loaded, as in Klipper): tracks Printing / Ready / Idle from toolhead
// activity and, after `timeout` seconds (default 600) without activity, runs its G-code
// (default: turn off heaters, disable motors).
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { type GCodeTemplate, lookupGCodeMacro } from "../macros/gcode-macro.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { requireReactor } from "../../core/host-timers.ts";
import { type Reactor, type ReactorTimer, NEVER } from "../../core/reactor.ts";

declare module "../../core/printer.ts" {
  interface PrinterObjects {
    idle_timeout: IdleTimeout;
  }
}

const DEFAULT_IDLE_GCODE = `
{% if 'heaters' in printer %}
   TURN_OFF_HEATERS
{% endif %}
M84
`;
const PIN_MIN_TIME = 0.1;
const READY_TIMEOUT = 0.5;
/** Waiting longer than this for the G-code mutex means other commands were running. */
const GCODE_BUSY_WAIT = 0.05;

export type IdleState = "Idle" | "Printing" | "Ready";

/** Toolhead facts the timeout needs (Klipper's toolhead.check_busy). */
interface BusyToolhead {
  printTime: number;
  lookahead: { isEmpty(): boolean };
  getLastMoveTime(): number;
}
interface PrintClock {
  estimatedPrintTime(hostTime: number): number;
}

export class IdleTimeout {
  idleTimeout: number;
  state: IdleState = "Idle";
  private readonly template: GCodeTemplate;
  private lastPrintStartSystime = 0;
  private toolhead: BusyToolhead | null = null;
  private timer: ReactorTimer | null = null;
  private reactor: Reactor | null = null;
  private running = false;
  /** The last failure of the idle G-code (Klipper logs it and retries a second later). */
  lastError: string | null = null;

  constructor(
    config: ConfigSection,
    private readonly printer: Printer,
  ) {
    this.idleTimeout = config.getFloat("timeout", 600, { above: 0 });
    this.template = lookupGCodeMacro(printer).loadTemplate(config, "gcode", DEFAULT_IDLE_GCODE);
    printer.registerEventHandler("klippy:ready", () => this.handleReady());
    printer.gcode.register("SET_IDLE_TIMEOUT", (g) => this.cmdSetIdleTimeout(g), { desc: "Set the idle timeout in seconds" });
  }

  getStatus(eventtime: number = this.reactor?.monotonic() ?? 0): { state: IdleState; printing_time: number; idle_timeout: number } {
    const printingTime = this.state === "Printing" ? eventtime - this.lastPrintStartSystime : 0;
    return { state: this.state, printing_time: printingTime, idle_timeout: this.idleTimeout };
  }

  private handleReady(): void {
    // Klipper builds idle_timeout with the toolhead; a config without one has nothing to watch
    this.toolhead = this.printer.lookupObject("toolhead", null);
    if (!this.toolhead) return;
    this.reactor = requireReactor(this.printer);
    this.timer = this.reactor.registerTimer("idle_timeout", (t) => this.timeoutHandler(t));
    this.printer.registerEventHandler("toolhead:sync_print_time", (curtime: number, estPrintTime: number, printTime: number) =>
      this.handleSyncPrintTime(curtime, estPrintTime, printTime));
  }

  private checkBusy(eventtime: number): [number, number, boolean] {
    const clock = this.printer.lookupObject<PrintClock>("mcu");
    return [this.toolhead!.printTime, clock.estimatedPrintTime(eventtime), this.toolhead!.lookahead.isEmpty()];
  }

  /**
   * Time is up: run the idle G-code under the G-code mutex. The mutex offers no "is it busy"
   * test, so waiting for it stands in for one: if another command held it for a while (a long
   * M109, a print's next lines), the printer was busy and the check is made again a second later.
   */
  private startIdle(): number {
    this.running = true;
    const asked = this.reactor!.monotonic();
    void this.printer.gcode.mutex.run(() => this.runIdle(asked)).then((next) => {
      this.running = false;
      if (next !== NEVER) this.reactor!.updateTimer(this.timer!, next);
    });
    return NEVER;
  }

  private async runIdle(asked: number): Promise<number> {
    const now = this.reactor!.monotonic();
    if (now - asked > GCODE_BUSY_WAIT) return now + 1;
    this.state = "Printing";
    try {
      const script = this.template.render();
      await this.printer.gcode.processCommands(script.split("\n"), false);
    } catch (e) {
      this.lastError = (e as Error)?.message ?? String(e);
      console.error(`idle timeout gcode: ${this.lastError}`);
      this.state = "Ready";
      return now + 1;
    }
    this.lastError = null;
    const printTime = this.toolhead!.getLastMoveTime();
    this.state = "Idle";
    this.printer.sendEvent("idle_timeout:idle", printTime);
    return NEVER;
  }

  private checkIdleTimeout(eventtime: number): number {
    const [printTime, estPrintTime, lookaheadEmpty] = this.checkBusy(eventtime);
    const idleTime = estPrintTime - printTime;
    if (!lookaheadEmpty || idleTime < 1) return eventtime + this.idleTimeout;
    if (idleTime < this.idleTimeout) return eventtime + this.idleTimeout - idleTime;
    if (this.printer.gcode.mutex.test()) return eventtime + 1; // a command (M109, a print) runs
    return this.startIdle();
  }

  private timeoutHandler(eventtime: number): number {
    if (this.printer.isShutdown() || this.running) return NEVER;
    if (this.state === "Ready") return this.checkIdleTimeout(eventtime);
    const [printTime, estPrintTime, lookaheadEmpty] = this.checkBusy(eventtime);
    const bufferTime = Math.min(2, printTime - estPrintTime);
    if (!lookaheadEmpty) return eventtime + READY_TIMEOUT + Math.max(0, bufferTime);
    if (bufferTime > -READY_TIMEOUT) return eventtime + READY_TIMEOUT + bufferTime;
    // A command still runs (an M109 / M190 wait): still printing
    if (this.printer.gcode.mutex.test()) return eventtime + READY_TIMEOUT;
    this.state = "Ready";
    this.printer.sendEvent("idle_timeout:ready", estPrintTime + PIN_MIN_TIME);
    return eventtime + this.idleTimeout;
  }

  private handleSyncPrintTime(curtime: number, estPrintTime: number, printTime: number): void {
    if (this.state === "Printing") return;
    this.state = "Printing";
    this.lastPrintStartSystime = curtime;
    const checkTime = READY_TIMEOUT + printTime - estPrintTime;
    this.reactor!.updateTimer(this.timer!, curtime + checkTime);
    this.printer.sendEvent("idle_timeout:printing", estPrintTime + PIN_MIN_TIME);
  }

  private cmdSetIdleTimeout(gcmd: GCodeCommand): void {
    const timeout = gcmd.getFloat("TIMEOUT", this.idleTimeout, { above: 0 });
    this.idleTimeout = timeout;
    gcmd.respondInfo(`idle_timeout: Timeout set to ${timeout.toFixed(2)} s`);
    if (this.state === "Ready") this.reactor!.updateTimer(this.timer!, this.reactor!.monotonic() + timeout);
  }
}

registerModule("idle_timeout", (config, printer) => new IdleTimeout(config, printer), { always: true });
