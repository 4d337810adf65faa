// [filament_switch_sensor NAME] (a switch that is closed while filament is present) and
// [filament_motion_sensor NAME] (an encoder that pulses while filament moves; no pulse within
// detection_length of extrusion means runout). Both pause the print and/or run runout_gcode on
// runout and insert_gcode on insertion, with QUERY_/SET_FILAMENT_SENSOR commands.
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { hostTime, lookupReactor } from "../../core/host-timers.ts";
import { type GCodeTemplate, lookupGCodeMacro } from "../macros/gcode-macro.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { lookupButtons } from "./buttons.ts";

const NEVER = Number.POSITIVE_INFINITY;
const CHECK_RUNOUT_TIMEOUT = 0.25;

/** Runout/insert decisions and actions shared by the filament sensors. */
export class RunoutHelper {
  readonly name: string;
  private readonly runoutPause: boolean;
  private readonly runoutGcode: GCodeTemplate | null = null;
  private readonly insertGcode: GCodeTemplate | null = null;
  private readonly pauseDelay: number;
  private readonly eventDelay: number;
  private minEventTime = NEVER;
  filamentPresent = false;
  sensorEnabled = true;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    this.name = config.getName().split(/\s+/).at(-1)!;
    this.runoutPause = config.getBoolean("pause_on_runout", true);
    if (this.runoutPause) printer.loadObject("pause_resume");
    const macros = lookupGCodeMacro(printer);
    if (this.runoutPause || config.get("runout_gcode", null) !== null) this.runoutGcode = macros.loadTemplate(config, "runout_gcode", "");
    if (config.get("insert_gcode", null) !== null) this.insertGcode = macros.loadTemplate(config, "insert_gcode");
    this.pauseDelay = config.getFloat("pause_delay", 0.5, { above: 0 });
    this.eventDelay = config.getFloat("event_delay", 3, { minval: 0 });
    printer.registerEventHandler("klippy:ready", () => {
      this.minEventTime = hostTime(printer) + 2;
    });
    printer.gcode.registerMux("QUERY_FILAMENT_SENSOR", "SENSOR", this.name, (g) => this.cmdQuery(g), "Query the status of the Filament Sensor");
    printer.gcode.registerMux("SET_FILAMENT_SENSOR", "SENSOR", this.name, (g) => {
      this.sensorEnabled = g.getInt("ENABLE", 1) !== 0;
    }, "Sets the filament sensor on/off");
  }

  private async runEvent(pause: boolean, template: GCodeTemplate | null): Promise<void> {
    let prefix = "";
    if (pause) {
      this.printer.lookupObject<{ sendPauseCommand(): void }>("pause_resume").sendPauseCommand();
      prefix = "PAUSE\n";
      const reactor = lookupReactor(this.printer);
      if (reactor) await new Promise<void>((r) => reactor.setTimer(`filament:${this.name}:pause`, reactor.monotonic() + this.pauseDelay, r));
    }
    try {
      await this.printer.gcode.runScript(`${prefix}${template?.render() ?? ""}\nM400`);
    } catch (e) {
      this.printer.gcode.respondInfo(`Filament Sensor ${this.name}: script error: ${(e as Error).message}`);
    }
    this.minEventTime = hostTime(this.printer) + this.eventDelay;
  }

  notePresent(eventTime: number, present: boolean): void {
    if (present === this.filamentPresent) return;
    this.filamentPresent = present;
    // Ignore changes during startup, while an event runs or within event_delay, or when disabled
    if (eventTime < this.minEventTime || !this.sensorEnabled) return;
    const idle = this.printer.lookupObject("idle_timeout", null);
    const printing = idle?.getStatus(hostTime(this.printer)).state === "Printing";
    if (present) {
      if (!printing && this.insertGcode !== null) {
        this.minEventTime = NEVER;
        void this.runEvent(false, this.insertGcode);
      }
    } else if (printing && this.runoutGcode !== null) {
      this.minEventTime = NEVER;
      void this.runEvent(this.runoutPause, this.runoutGcode);
    }
  }

  private cmdQuery(g: GCodeCommand): void {
    g.respondInfo(`Filament Sensor ${this.name}: filament ${this.filamentPresent ? "detected" : "not detected"}`);
  }

  getStatus(): { filament_detected: boolean; enabled: boolean } {
    return { filament_detected: this.filamentPresent, enabled: this.sensorEnabled };
  }
}

class SwitchSensor {
  readonly runout: RunoutHelper;
  constructor(config: ConfigSection, printer: Printer) {
    lookupButtons(printer).registerDebounceButton(config.get("switch_pin"), (t, state) => this.runout.notePresent(t, Boolean(state)), config);
    this.runout = new RunoutHelper(config, printer);
  }
  getStatus() {
    return this.runout.getStatus();
  }
}

interface PastPosition {
  findPastPosition(printTime: number): number;
}

class EncoderSensor {
  readonly runout: RunoutHelper;
  private readonly extruderName: string;
  private readonly detectionLength: number;
  private extruder: PastPosition | null = null;
  private runoutPos = 0;
  private stopTimer: (() => void) | null = null;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    const pin = config.get("switch_pin");
    this.extruderName = config.get("extruder");
    this.detectionLength = config.getFloat("detection_length", 7, { above: 0 });
    lookupButtons(printer).registerButtons([pin], (t) => this.encoderEvent(t), config.getName());
    this.runout = new RunoutHelper(config, printer);
    printer.registerEventHandler("klippy:ready", () => {
      this.extruder = printer.lookupObject<PastPosition>(this.extruderName);
      this.updateRunoutPos(hostTime(printer));
    });
    printer.registerEventHandler("idle_timeout:printing", () => this.startChecks());
    printer.registerEventHandler("idle_timeout:ready", () => this.stopChecks());
    printer.registerEventHandler("idle_timeout:idle", () => this.stopChecks());
  }

  private extruderPos(eventTime: number): number {
    const mcu = this.printer.lookupObject<{ estimatedPrintTime(t: number): number }>("mcu");
    return this.extruder!.findPastPosition(mcu.estimatedPrintTime(eventTime));
  }

  private updateRunoutPos(eventTime: number): void {
    this.runoutPos = this.extruderPos(eventTime) + this.detectionLength;
  }

  private startChecks(): void {
    const reactor = lookupReactor(this.printer);
    if (!reactor || this.stopTimer || !this.extruder) return;
    const name = `filament_motion:${this.runout.name}`;
    const tick = () => {
      const t = reactor.monotonic();
      this.runout.notePresent(t, this.extruderPos(t) < this.runoutPos);
      reactor.setTimer(name, t + CHECK_RUNOUT_TIMEOUT, tick);
    };
    reactor.setTimer(name, reactor.monotonic(), tick);
    this.stopTimer = () => reactor.cancelTimer(name);
  }

  private stopChecks(): void {
    this.stopTimer?.();
    this.stopTimer = null;
  }

  private encoderEvent(eventTime: number): void {
    if (!this.extruder) return;
    this.updateRunoutPos(eventTime);
    // An encoder pulse means filament is there
    this.runout.notePresent(eventTime, true);
  }

  getStatus() {
    return this.runout.getStatus();
  }
}

registerModule("filament_switch_sensor ", (config, printer) => new SwitchSensor(config, printer));
registerModule("filament_motion_sensor ", (config, printer) => new EncoderSensor(config, printer));
