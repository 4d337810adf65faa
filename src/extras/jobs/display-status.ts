// [display_status]: the display message (M117, SET_DISPLAY_TEXT) and print progress (M73,
// which holds for 5 s after the last M73 unless a print is running; otherwise the virtual SD
// card's file progress).
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { hostTime } from "../../core/host-timers.ts";
import { type Printer, registerModule } from "../../core/printer.ts";

const M73_TIMEOUT = 5;

export class DisplayStatus {
  private expireProgress = 0;
  private progress: number | null = null;
  private message: string | null = null;

  constructor(private readonly printer: Printer) {
    const gcode = printer.gcode;
    gcode.register("M73", (g) => this.cmdM73(g));
    gcode.register("M117", (g) => {
      this.message = g.getRawCommandParameters() || null;
    });
    gcode.register(
      "SET_DISPLAY_TEXT",
      (g) => {
        this.message = g.get("MSG", null);
      },
      { desc: "Set or clear the display message" },
    );
  }

  private cmdM73(gcmd: GCodeCommand): void {
    const p = gcmd.getFloat("P", null);
    if (p === null) return;
    this.progress = Math.min(1, Math.max(0, p / 100));
    this.expireProgress = hostTime(this.printer) + M73_TIMEOUT;
  }

  getStatus(eventtime: number = hostTime(this.printer)): { progress: number; message: string | null } {
    let progress = this.progress;
    if (progress !== null && eventtime > this.expireProgress) {
      const idle = this.printer.lookupObject("idle_timeout", null);
      if (idle?.getStatus(eventtime).state !== "Printing") this.progress = progress = null;
    }
    if (progress === null) {
      const sd = this.printer.lookupObject("virtual_sdcard", null);
      progress = sd ? sd.getStatus().progress : 0;
    }
    return { progress, message: this.message };
  }
}

registerModule("display_status", (_config, printer) => new DisplayStatus(printer));
