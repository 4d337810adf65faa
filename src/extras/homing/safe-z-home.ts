// [safe_z_home] (Klipper's safe_z_home): G28 homes X/Y first, then moves to a
// fixed XY position before homing Z, with an optional Z hop before and after.
import type { ConfigSection } from "../../core/config/section.ts";
import { ConfigError } from "../../core/config/errors.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import type { GCodeHandler } from "../../core/gcode/dispatch.ts";
import { type Printer, registerModule } from "../../core/printer.ts";

interface SafeZToolhead {
  getPosition(): number[];
  setPosition(newpos: readonly number[], homingAxes?: string): void;
  manualMove(coord: readonly (number | null)[], speed: number): void | Promise<void>;
  getKinematics(): { getStatus(): Record<string, unknown>; clearHomingState(axes: string): void };
}

class SafeZHoming {
  private readonly homeX: number;
  private readonly homeY: number;
  private readonly zHop: number;
  private readonly zHopSpeed: number;
  private readonly speed: number;
  private readonly moveToPrevious: boolean;
  private readonly prevG28: GCodeHandler;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    const xy = config.getFloatList("home_xy_position", undefined, { count: 2 });
    this.homeX = xy[0]!;
    this.homeY = xy[1]!;
    this.zHop = config.getFloat("z_hop", 0);
    this.zHopSpeed = config.getFloat("z_hop_speed", 15, { above: 0 });
    if (!printer.config.hasSection("stepper_z")) throw new ConfigError("Missing Z endstop config for safe_z_homing");
    printer.config.getSection("stepper_z").getFloat("position_max", undefined, { noteValid: false });
    this.speed = config.getFloat("speed", 50, { above: 0 });
    this.moveToPrevious = config.getBoolean("move_to_previous", false);
    printer.loadObject("homing");
    const prev = printer.gcode.register("G28", null);
    if (!prev) throw new ConfigError("safe_z_home: no G28 command to override");
    this.prevG28 = prev;
    printer.gcode.register("G28", (g) => this.cmdG28(g));
    if (printer.config.hasSection("homing_override"))
      throw new ConfigError("homing_override and safe_z_homing cannot be used simultaneously");
  }

  private homed(th: SafeZToolhead): string {
    return String(th.getKinematics().getStatus().homed_axes ?? "");
  }

  private async cmdG28(g: GCodeCommand): Promise<void> {
    const th = this.printer.lookupObject("toolhead");
    if (this.zHop !== 0) {
      const pos = th.getPosition();
      if (!this.homed(th).includes("z")) {
        // Z position unknown: declare it 0 and lift anyway
        pos[2] = 0;
        th.setPosition(pos, "z");
        await th.manualMove([null, null, this.zHop], this.zHopSpeed);
        th.getKinematics().clearHomingState("z");
      } else if (pos[2]! < this.zHop) {
        await th.manualMove([null, null, this.zHop], this.zHopSpeed);
      }
    }
    let [needX, needY, needZ] = [..."XYZ"].map((a) => g.get(a, null) !== null) as [boolean, boolean, boolean];
    if (!needX && !needY && !needZ) needX = needY = needZ = true;
    const params: Record<string, string> = {};
    if (needX) params.X = "0";
    if (needY) params.Y = "0";
    if (Object.keys(params).length) await this.prevG28(this.printer.gcode.createCommand("G28", "G28", params));
    if (!needZ) return;
    const homed = this.homed(th);
    if (!homed.includes("x") || !homed.includes("y")) throw g.error("Must home X and Y axes first");
    const prevpos = th.getPosition();
    await th.manualMove([this.homeX, this.homeY], this.speed);
    await this.prevG28(this.printer.gcode.createCommand("G28", "G28", { Z: "0" }));
    if (this.zHop) {
      const pos = th.getPosition();
      if (pos[2]! < this.zHop) await th.manualMove([null, null, this.zHop], this.zHopSpeed);
    }
    if (this.moveToPrevious) await th.manualMove(prevpos.slice(0, 2), this.speed);
  }
}

registerModule("safe_z_home", (config, printer) => new SafeZHoming(config, printer));
