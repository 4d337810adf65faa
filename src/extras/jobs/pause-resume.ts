// [pause_resume]: PAUSE / RESUME / CLEAR_PAUSE / CANCEL_PRINT. PAUSE stops a virtual SD card
// print (or tells the host with "action:paused") and saves the G-code state; RESUME moves back
// to the saved position at recover_velocity and continues the print.
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import type { VirtualSD } from "./virtual-sdcard.ts";

export class PauseResume {
  private readonly recoverVelocity: number;
  private sd: VirtualSD | null = null;
  isPaused = false;
  private sdPaused = false;
  private pauseCommandSent = false;

  constructor(
    config: ConfigSection,
    private readonly printer: Printer,
  ) {
    this.recoverVelocity = config.getFloat("recover_velocity", 50);
    printer.registerEventHandler("klippy:connect", () => {
      this.sd = printer.lookupObject("virtual_sdcard", null);
    });
    const gcode = printer.gcode;
    gcode.register("PAUSE", (g) => this.cmdPause(g), { desc: "Pauses the current print" });
    gcode.register("RESUME", (g) => this.cmdResume(g), { desc: "Resumes the print from a pause" });
    gcode.register("CLEAR_PAUSE", () => this.clearPause(), { desc: "Clears the current paused state without resuming the print" });
    gcode.register("CANCEL_PRINT", (g) => this.cmdCancelPrint(g), { desc: "Cancel the current print" });
    for (const [path, script] of [["pause", "PAUSE"], ["resume", "RESUME"], ["cancel", "CANCEL_PRINT"]] as const)
      printer.webhooks.registerEndpoint(`pause_resume/${path}`, () => gcode.runScript(script));
  }

  getStatus(): { is_paused: boolean } {
    return { is_paused: this.isPaused };
  }

  private isSdActive(): boolean {
    return this.sd?.isActive() ?? false;
  }

  /** Stop the job (the module is only "paused" once PAUSE itself has run). */
  sendPauseCommand(): void {
    if (this.pauseCommandSent) return;
    if (this.isSdActive()) {
      this.sdPaused = true;
      this.sd!.doPause();
    } else {
      this.sdPaused = false;
      this.printer.gcode.respondInfo("action:paused");
    }
    this.pauseCommandSent = true;
  }

  private async cmdPause(gcmd: GCodeCommand): Promise<void> {
    if (this.isPaused) {
      gcmd.respondInfo("Print already paused");
      return;
    }
    this.sendPauseCommand();
    await this.printer.gcode.runScriptFromCommand("SAVE_GCODE_STATE NAME=PAUSE_STATE");
    this.isPaused = true;
  }

  private sendResumeCommand(): void {
    if (this.sdPaused) {
      this.sd!.doResume();
      this.sdPaused = false;
    } else this.printer.gcode.respondInfo("action:resumed");
    this.pauseCommandSent = false;
  }

  private async cmdResume(gcmd: GCodeCommand): Promise<void> {
    if (!this.isPaused) {
      gcmd.respondInfo("Print is not paused, resume aborted");
      return;
    }
    const velocity = gcmd.getFloat("VELOCITY", this.recoverVelocity);
    await this.printer.gcode.runScriptFromCommand(`RESTORE_GCODE_STATE NAME=PAUSE_STATE MOVE=1 MOVE_SPEED=${velocity.toFixed(4)}`);
    this.sendResumeCommand();
    this.isPaused = false;
  }

  private clearPause(): void {
    this.isPaused = false;
    this.pauseCommandSent = false;
  }

  private async cmdCancelPrint(gcmd: GCodeCommand): Promise<void> {
    if (this.isSdActive() || this.sdPaused) await this.sd!.doCancel();
    else gcmd.respondInfo("action:cancel");
    this.clearPause();
  }
}

registerModule("pause_resume", (config, printer) => new PauseResume(config, printer));
