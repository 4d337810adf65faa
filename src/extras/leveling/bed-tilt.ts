// [bed_tilt]: a move transform that follows a tilted (planar) bed: z += x*x_adjust + y*y_adjust +
// z_adjust. With probe `points`, BED_TILT_CALIBRATE fits the plane and stages the values for
// SAVE_CONFIG.
import type { ConfigSection } from "../../core/config/section.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import type { ProbeResult } from "../probes/probe.ts";
import type { MaybePromise } from "../../util/maybe-async.ts";
import { ProbePointsHelper } from "../probes/probe-points.ts";
import { fitPlane } from "./z-tilt-and-qgl.ts";

export interface MoveTarget {
  move(newpos: readonly number[], speed: number): MaybePromise<void>;
  getPosition(): number[];
}

class BedTilt implements MoveTarget {
  private x: number;
  private y: number;
  private z: number;
  private toolhead: MoveTarget | null = null;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    printer.registerEventHandler("klippy:connect", () => {
      this.toolhead = printer.lookupObject("toolhead");
    });
    this.x = config.getFloat("x_adjust", 0);
    this.y = config.getFloat("y_adjust", 0);
    this.z = config.getFloat("z_adjust", 0);
    if (config.get("points", null) !== null) {
      const helper = new ProbePointsHelper(config, printer, (pos) => this.calibrated(pos));
      helper.minimumPoints(3);
      printer.gcode.register("BED_TILT_CALIBRATE", (g) => helper.startProbe(g), { desc: "Bed tilt calibration script" });
    }
    printer.loadObject("gcode_move").setMoveTransform(this);
  }

  getPosition(): number[] {
    const pos = this.toolhead!.getPosition();
    const [x, y, z] = pos as [number, number, number];
    return [x, y, z - (x * this.x + y * this.y + this.z), ...pos.slice(3)];
  }

  move(newpos: readonly number[], speed: number): MaybePromise<void> {
    const [x, y, z] = newpos as [number, number, number];
    return this.toolhead!.move([x, y, z + x * this.x + y * this.y + this.z, ...newpos.slice(3)], speed);
  }

  private calibrated(positions: ProbeResult[]): undefined {
    [this.z, this.x, this.y] = fitPlane(positions);
    this.printer.loadObject("gcode_move").resetLastPosition();
    const autosave = this.printer.config.autosave;
    autosave.set("bed_tilt", "x_adjust", this.x.toFixed(6));
    autosave.set("bed_tilt", "y_adjust", this.y.toFixed(6));
    autosave.set("bed_tilt", "z_adjust", this.z.toFixed(6));
    const msg = `x_adjust: ${this.x.toFixed(6)} y_adjust: ${this.y.toFixed(6)} z_adjust: ${this.z.toFixed(6)}`;
    this.printer.gcode.respondInfo(`${msg}\nThe above parameters have been applied to the current\nsession. The SAVE_CONFIG command will update the printer\nconfig file and restart the printer.`);
    return undefined;
  }
}

registerModule("bed_tilt", (config, printer) => new BedTilt(config, printer));
