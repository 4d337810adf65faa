// Slices a generated model with Debian's CuraEngine (cura-engine, definitions from the cura package)
// for one printer's bed, with a case's layer height, speeds, extrusion mode, retraction, Z-hop and
// vase mode. The start/end G-code is the harness's own (home, optional mesh load, prime, park).
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ModelSpec, stl } from "./models.ts";
import type { PrinterInfo } from "./printer.ts";

const CURA = "/usr/share/cura/resources";
export const CURA_ENGINE = "/usr/bin/CuraEngine";

/** Why slicing cannot run here (null when it can). */
export function curaMissing(): string | null {
  if (!existsSync(CURA_ENGINE)) return "CuraEngine is missing (apt-get install cura-engine cura)";
  if (!existsSync(`${CURA}/definitions/fdmprinter.def.json`)) return "Cura's printer definitions are missing (apt-get install cura)";
  return null;
}

export interface SliceSettings {
  model: ModelSpec;
  layerHeight: number;
  /** mm/s */
  speedPrint: number;
  speedTravel: number;
  relativeExtrusion: boolean;
  retraction: boolean;
  zHop: boolean;
  vase: boolean;
  /** G10/G11 instead of G1 E retracts */
  firmwareRetract: boolean;
  infill: number;
}

/** Start G-code: home, then `afterHome` (mesh load etc.), prime line along the model's front. */
function startGcode(p: PrinterInfo, afterHome: string[]): string {
  const { bed } = p;
  const cx = bed.shape === "round" ? 0 : (bed.minX + bed.maxX) / 2;
  const cy = bed.shape === "round" ? 0 : (bed.minY + bed.maxY) / 2;
  const y = cy - Math.min(30, (bed.maxY - bed.minY) / 3);
  return ["G28", ...afterHome, "G90", "G1 Z3 F3000", `G1 X${(cx - 20).toFixed(1)} Y${y.toFixed(1)} F6000`, "G1 Z0.3 F600", "G92 E0",
    `G1 X${(cx + 20).toFixed(1)} E${(1.5 * (1.75 / p.filamentDiameter) ** 2).toFixed(3)} F1200`, "G92 E0", "G1 Z2 F3000"].join("\n");
}

function endGcode(): string {
  return ["G91", "G1 E-1 F1800", "G1 Z3 F3000", "G90", "M104 S0", "M140 S0", "M107", "M84"].join("\n");
}

/** Slices into `dir`/sliced.gcode; returns its path or throws with CuraEngine's output. */
export function slice(dir: string, p: PrinterInfo, s: SliceSettings, afterHome: string[]): string {
  const model = join(dir, "model.stl");
  writeFileSync(model, stl(s.model));
  const out = join(dir, "sliced.gcode");
  const { bed } = p;
  const round = bed.shape === "round";
  // Cura centres the model on its bed: a Cura bed of twice the centre's coordinates puts it there
  const width = round ? bed.maxX - bed.minX : bed.minX + bed.maxX;
  const depth = round ? bed.maxY - bed.minY : bed.minY + bed.maxY;
  const set: Record<string, string | number | boolean> = {
    machine_width: width, machine_depth: depth, machine_height: Math.max(bed.maxZ, s.model.height + 5),
    machine_center_is_zero: round, machine_shape: round ? "elliptic" : "rectangular",
    machine_heated_bed: p.heatedBed, machine_gcode_flavor: "RepRap (Marlin/Sprinter)",
    machine_start_gcode: startGcode(p, afterHome), machine_end_gcode: endGcode(),
    layer_height: s.layerHeight, layer_height_0: Math.max(s.layerHeight, 0.2),
    speed_print: s.speedPrint, speed_travel: s.speedTravel, speed_layer_0: 20,
    relative_extrusion: s.relativeExtrusion, retraction_enable: s.retraction,
    retraction_hop_enabled: s.zHop, retraction_hop: 0.4, machine_firmware_retract: s.firmwareRetract,
    magic_spiralize: s.vase, infill_sparse_density: s.vase ? 0 : s.infill,
    top_layers: s.vase ? 0 : 3, bottom_layers: 2, wall_line_count: 2,
    adhesion_type: "skirt", skirt_line_count: 1, skirt_gap: 3,
    material_print_temperature: 200, material_print_temperature_layer_0: 205, material_bed_temperature: 60,
    material_bed_temperature_layer_0: 60, cool_fan_enabled: true, material_diameter: p.filamentDiameter,
  };
  const args = [CURA_ENGINE, "slice", "-j", `${CURA}/definitions/fdmprinter.def.json`];
  for (const [k, v] of Object.entries(set)) args.push("-s", `${k}=${v}`);
  args.push("-e0", "-j", `${CURA}/definitions/fdmextruder.def.json`, "-s", "machine_nozzle_size=0.4", "-l", model, "-o", out);
  const r = Bun.spawnSync(args, { stdout: "pipe", stderr: "pipe", env: { ...process.env, CURA_ENGINE_SEARCH_PATH: `${CURA}/definitions:${CURA}/extruders` } });
  if (r.exitCode !== 0 || !existsSync(out)) throw new Error(`CuraEngine failed (${r.exitCode}): ${r.stderr.toString().slice(-2000)}`);
  return out;
}
