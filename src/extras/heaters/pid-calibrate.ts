// PID_CALIBRATE HEATER=name TARGET=temp [WRITE_FILE=1]: run the relay autotune on a heater and store
// the resulting gains for SAVE_CONFIG.
import { writeFileSync } from "node:fs";
import { ConfigError } from "../../core/config/errors.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { GCodeError } from "../../core/gcode/errors.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { lookupHeaters } from "./heaters.ts";
import { ControlAutoTune } from "./pid-autotune.ts";

export class PidCalibrate {
  constructor(private readonly printer: Printer) {
    printer.gcode.register("PID_CALIBRATE", (g) => this.cmdPidCalibrate(g), { desc: "Run PID calibration test" });
  }

  private async cmdPidCalibrate(gcmd: GCodeCommand): Promise<void> {
    const heaterName = gcmd.get("HEATER");
    const target = gcmd.getFloat("TARGET");
    const writeFile = gcmd.getInt("WRITE_FILE", 0);
    const heaters = lookupHeaters(this.printer);
    let heater;
    try {
      heater = heaters.lookupHeater(heaterName);
    } catch (e) {
      if (e instanceof ConfigError) throw gcmd.error(e.message);
      throw e;
    }
    this.printer.lookupObject("toolhead", null)?.getLastMoveTime?.();
    const tune = new ControlAutoTune(heater, target);
    const old = heater.setControl(tune);
    try {
      await heaters.setTemperature(heater, target, true);
    } finally {
      heater.setControl(old);
    }
    if (writeFile) {
      const pwm = tune.pwmSamples.map(([t, v]) => `pwm: ${t.toFixed(3)} ${v.toFixed(3)}`);
      const temps = tune.tempSamples.map(([t, v]) => `${t.toFixed(3)} ${v.toFixed(3)}`);
      writeFileSync("/tmp/heattest.txt", [...pwm, ...temps].join("\n"));
    }
    if (!tune.isComplete) throw new GCodeError("pid_calibrate interrupted");
    const { kp, ki, kd } = tune.finalGains();
    gcmd.respondInfo(
      `PID parameters: pid_Kp=${kp.toFixed(3)} pid_Ki=${ki.toFixed(3)} pid_Kd=${kd.toFixed(3)}\n` +
        "The SAVE_CONFIG command will update the printer config file\nwith these parameters and restart the printer.",
    );
    const autosave = this.printer.config.autosave;
    const section = heater.name;
    autosave.set(section, "control", "pid");
    autosave.set(section, "pid_Kp", kp.toFixed(3));
    autosave.set(section, "pid_Ki", ki.toFixed(3));
    autosave.set(section, "pid_Kd", kd.toFixed(3));
  }
}

registerModule("pid_calibrate", (_config, printer) => new PidCalibrate(printer));
