// [skew_correction]: a move transform that undoes XY/XZ/YZ frame skew (factors from measured
// diagonals of a printed square), with SET_SKEW, GET_CURRENT_SKEW, CALC_MEASURED_SKEW and saved
// profiles ([skew_correction NAME] sections, SKEW_PROFILE LOAD/SAVE/REMOVE).
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import type { MaybePromise } from "../../util/maybe-async.ts";
import type { MoveTarget } from "./bed-tilt.ts";

/** Skew angle (radians off 90 degrees) from the diagonals AC, BD and side AD of a printed square. */
export function skewFactor(ac: number, bd: number, ad: number): number {
  const side = Math.sqrt(2 * ac * ac + 2 * bd * bd - 4 * ad * ad) / 2;
  return Math.tan(Math.PI / 2 - Math.acos((ac * ac - side * side - ad * ad) / (2 * side * ad)));
}

const degrees = (r: number) => (r * 180) / Math.PI;
type Profile = { xy_skew: number; xz_skew: number; yz_skew: number };

class SkewCorrection implements MoveTarget {
  private xy = 0;
  private xz = 0;
  private yz = 0;
  private profileName = "";
  private readonly profiles = new Map<string, Profile>();
  private next: MoveTarget | null = null;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    for (const s of config.getPrefixSections("skew_correction ")) {
      const name = s.getName().split(" ").slice(1).join(" ").trim();
      this.profiles.set(name, { xy_skew: s.getFloat("xy_skew"), xz_skew: s.getFloat("xz_skew"), yz_skew: s.getFloat("yz_skew") });
    }
    printer.registerEventHandler("klippy:connect", () => {
      this.next = printer.loadObject("gcode_move").setMoveTransform(this, true);
    });
    const gcode = printer.gcode;
    gcode.register("GET_CURRENT_SKEW", (g) => {
      const lines = (["XY", "XZ", "YZ"] as const).map((p, i) => {
        const f = [this.xy, this.xz, this.yz][i]!;
        return `${p} Skew: ${f.toFixed(6)} radians, ${degrees(f).toFixed(2)} degrees`;
      });
      g.respondInfo(`Current Printer Skew:\n${lines.join("\n")}`);
    }, { desc: "Report current printer skew" });
    gcode.register("CALC_MEASURED_SKEW", (g) => {
      const f = skewFactor(g.getFloat("AC", undefined, { above: 0 }), g.getFloat("BD", undefined, { above: 0 }), g.getFloat("AD", undefined, { above: 0 }));
      g.respondInfo(`Calculated Skew: ${f.toFixed(6)} radians, ${degrees(f).toFixed(2)} degrees`);
    }, { desc: "Calculate skew from measured print" });
    gcode.register("SET_SKEW", (g) => this.cmdSetSkew(g), { desc: "Set skew based on lengths of measured object" });
    gcode.register("SKEW_PROFILE", (g) => this.cmdProfile(g), { desc: "Profile management for skew_correction" });
  }

  private skew(p: readonly number[]): number[] {
    return [p[0]! - p[1]! * this.xy - p[2]! * (this.xz - this.xy * this.yz), p[1]! - p[2]! * this.yz, ...p.slice(2)];
  }

  private unskew(p: readonly number[]): number[] {
    return [p[0]! + p[1]! * this.xy + p[2]! * this.xz, p[1]! + p[2]! * this.yz, ...p.slice(2)];
  }

  /** The transform below this one (the toolhead when gcode_move had none yet at connect). */
  private below(): MoveTarget {
    return this.next ?? this.printer.lookupObject("toolhead");
  }

  getPosition(): number[] {
    return this.unskew(this.below().getPosition());
  }

  move(newpos: readonly number[], speed: number): MaybePromise<void> {
    return this.below().move(this.skew(newpos), speed);
  }

  private update(xy: number, xz: number, yz: number): void {
    [this.xy, this.xz, this.yz] = [xy, xz, yz];
    this.printer.loadObject("gcode_move").resetLastPosition();
  }

  private cmdSetSkew(g: GCodeCommand): void {
    if (g.getInt("CLEAR", 0)) {
      this.update(0, 0, 0);
      return;
    }
    for (const plane of ["XY", "XZ", "YZ"] as const) {
      const text = g.get(plane, null);
      if (text === null) continue;
      const parts = text.trim().split(",").map((l) => l.trim());
      const lengths = parts.map(Number);
      if (lengths.length !== 3 || lengths.some((l, i) => parts[i] === "" || !Number.isFinite(l)))
        throw g.error(`skew_correction: improperly formatted entry for plane [${plane}]\n${g.getCommandline()}`);
      const f = skewFactor(lengths[0]!, lengths[1]!, lengths[2]!);
      if (plane === "XY") this.xy = f;
      else if (plane === "XZ") this.xz = f;
      else this.yz = f;
    }
  }

  private cmdProfile(g: GCodeCommand): void {
    const autosave = this.printer.config.autosave;
    const load = g.get("LOAD", null);
    const save = g.get("SAVE", null);
    const remove = g.get("REMOVE", null);
    if (load !== null) {
      this.profileName = load;
      const p = this.profiles.get(load);
      if (!p) {
        g.respondInfo(`skew_correction:  Load failed, unknown profile [${load}]`);
        return;
      }
      this.update(p.xy_skew, p.xz_skew, p.yz_skew);
    } else if (save !== null) {
      const section = `skew_correction ${save}`;
      autosave.set(section, "xy_skew", this.xy);
      autosave.set(section, "xz_skew", this.xz);
      autosave.set(section, "yz_skew", this.yz);
      this.profiles.set(save, { xy_skew: this.xy, xz_skew: this.xz, yz_skew: this.yz });
      g.respondInfo(`Skew Correction state has been saved to profile [${save}]\nfor the current session.  The SAVE_CONFIG command will\nupdate the printer config file and restart the printer.`);
    } else if (remove !== null) {
      if (!this.profiles.has(remove)) {
        g.respondInfo(`skew_correction: No profile named [${remove}] to remove`);
        return;
      }
      autosave.removeSection(`skew_correction ${remove}`);
      this.profiles.delete(remove);
      g.respondInfo(`Profile [${remove}] removed from storage for this session.\nThe SAVE_CONFIG command will update the printer\nconfiguration and restart the printer`);
    }
  }

  getStatus(): { current_profile_name: string } {
    return { current_profile_name: this.profileName };
  }
}

registerModule("skew_correction", (config, printer) => new SkewCorrection(config, printer));
