// [print_stats]: the state of the current print job (standby, printing, paused, complete,
// cancelled, error), its file, durations and filament use, and slicer layer info
// (SET_PRINT_STATS_INFO). virtual_sdcard reports starts, pauses and ends here.
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { hostTime } from "../../core/host-timers.ts";
import { type Printer, registerModule } from "../../core/printer.ts";

declare module "../../core/printer.ts" {
  interface PrinterObjects {
    print_stats: PrintStats;
  }
}

export type PrintState = "standby" | "printing" | "paused" | "complete" | "cancelled" | "error";

interface GcodeMoveStatus {
  getStatus(): { position: number[]; extrude_factor: number };
}

export interface PrintStatsStatus {
  filename: string;
  total_duration: number;
  print_duration: number;
  filament_used: number;
  state: PrintState;
  message: string;
  info: { total_layer: number | null; current_layer: number | null };
}

export class PrintStats {
  private readonly gcodeMove: GcodeMoveStatus;
  filename = "";
  errorMessage = "";
  state: PrintState = "standby";
  private prevPauseDuration = 0;
  private lastEpos = 0;
  private filamentUsed = 0;
  private totalDuration = 0;
  private printStartTime: number | null = null;
  private lastPauseTime: number | null = null;
  private initDuration = 0;
  private totalLayer: number | null = null;
  private currentLayer: number | null = null;

  constructor(private readonly printer: Printer) {
    this.gcodeMove = printer.loadObject<GcodeMoveStatus>("gcode_move");
    printer.gcode.register("SET_PRINT_STATS_INFO", (g) => this.cmdSetPrintStatsInfo(g), {
      desc: "Pass slicer info like layer act and total to klipper",
    });
    printer.registerEventHandler("extruder:activate_extruder", () => {
      this.lastEpos = this.extruderPosition();
    });
  }

  private extruderPosition(): number {
    return this.gcodeMove.getStatus().position[3] ?? 0;
  }

  private updateFilamentUsage(): void {
    const status = this.gcodeMove.getStatus();
    const epos = status.position[3] ?? 0;
    this.filamentUsed += (epos - this.lastEpos) / status.extrude_factor;
    this.lastEpos = epos;
  }

  /** A new file was selected: everything restarts. */
  setCurrentFile(filename: string): void {
    this.reset();
    this.filename = filename;
  }

  noteStart(): void {
    const now = hostTime(this.printer);
    if (this.printStartTime === null) this.printStartTime = now;
    else if (this.lastPauseTime !== null) {
      this.prevPauseDuration += now - this.lastPauseTime;
      this.lastPauseTime = null;
    }
    this.lastEpos = this.extruderPosition();
    this.errorMessage = "";
    this.setState("printing");
  }

  notePause(): void {
    if (this.lastPauseTime === null) {
      this.lastPauseTime = hostTime(this.printer);
      this.updateFilamentUsage();
    }
    if (this.state !== "error") this.setState("paused");
  }

  noteComplete(): void {
    this.noteFinish("complete");
  }
  noteError(message: string): void {
    this.noteFinish("error", message);
  }
  noteCancel(): void {
    this.noteFinish("cancelled");
  }

  /**
   * A job state change is the event print_stats:state (state, previous state, filename, error
   * message): the host's log records print start/pause/resume/cancel/complete from it.
   */
  private setState(state: PrintState): void {
    const previous = this.state;
    this.state = state;
    if (state !== previous) this.printer.sendEvent("print_stats:state", state, previous, this.filename, this.errorMessage);
  }

  private noteFinish(state: PrintState, message = ""): void {
    if (this.printStartTime === null) return;
    // Count extrusion up to the end (Klipper only counts it when the status is polled)
    if (this.lastPauseTime === null) this.updateFilamentUsage();
    this.errorMessage = message;
    this.setState(state);
    this.totalDuration = hostTime(this.printer) - this.printStartTime;
    // No extrusion seen: the whole job counts as preparation
    if (this.filamentUsed < 0.0000001) this.initDuration = this.totalDuration - this.prevPauseDuration;
    this.printStartTime = null;
  }

  private cmdSetPrintStatsInfo(gcmd: GCodeCommand): void {
    const totalLayer = gcmd.getInt("TOTAL_LAYER", this.totalLayer, { minval: 0 });
    const currentLayer = gcmd.getInt("CURRENT_LAYER", this.currentLayer, { minval: 0 });
    if (totalLayer === 0) {
      this.totalLayer = null;
      this.currentLayer = null;
    } else if (totalLayer !== this.totalLayer) {
      this.totalLayer = totalLayer;
      this.currentLayer = 0;
    }
    if (this.totalLayer !== null && currentLayer !== null && currentLayer !== this.currentLayer)
      this.currentLayer = Math.min(currentLayer, this.totalLayer);
  }

  reset(): void {
    this.filename = "";
    this.errorMessage = "";
    this.state = "standby";
    this.prevPauseDuration = 0;
    this.lastEpos = 0;
    this.filamentUsed = 0;
    this.totalDuration = 0;
    this.printStartTime = null;
    this.lastPauseTime = null;
    this.initDuration = 0;
    this.totalLayer = null;
    this.currentLayer = null;
  }

  getStatus(eventtime: number = hostTime(this.printer)): PrintStatsStatus {
    let timePaused = this.prevPauseDuration;
    if (this.printStartTime !== null) {
      if (this.lastPauseTime !== null) timePaused += eventtime - this.lastPauseTime;
      else this.updateFilamentUsage();
      this.totalDuration = eventtime - this.printStartTime;
      if (this.filamentUsed < 0.0000001) this.initDuration = this.totalDuration - timePaused;
    }
    return {
      filename: this.filename,
      total_duration: this.totalDuration,
      print_duration: this.totalDuration - this.initDuration - timePaused,
      filament_used: this.filamentUsed,
      state: this.state,
      message: this.errorMessage,
      info: { total_layer: this.totalLayer, current_layer: this.currentLayer },
    };
  }
}

registerModule("print_stats", (_config, printer) => new PrintStats(printer));
