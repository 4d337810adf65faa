// What the sliced-print differential tests need to know of an example printer config: its bed (a
// rectangle from the X/Y rails' ranges, or a round delta bed), Z range, heated bed, and the optional
// sections (bed_mesh, gcode_arcs, firmware_retraction, exclude_object) that decide which extra G-code a
// case may use. A plain INI read of the file; the config's own semantics stay with the hosts under test.
import { readFileSync } from "node:fs";

type Sections = Map<string, Map<string, string>>;

function parseIni(text: string): Sections {
  const out: Sections = new Map();
  let cur: Map<string, string> | null = null;
  let lastKey = "";
  for (const raw of text.split("\n")) {
    if (raw.startsWith("#*#")) break; // SAVE_CONFIG block: not needed here
    const line = raw.replace(/[#;].*$/, "");
    const head = /^\[([^\]]+)\]/.exec(line);
    if (head) {
      cur = new Map();
      out.set(head[1]!.trim(), cur);
      continue;
    }
    if (!cur || !line.trim()) continue;
    if (/^\s/.test(line) && lastKey) {
      cur.set(lastKey, `${cur.get(lastKey)}\n${line.trim()}`);
      continue;
    }
    const kv = /^([^:=]+)[:=](.*)$/.exec(line);
    if (kv) cur.set((lastKey = kv[1]!.trim()), kv[2]!.trim());
  }
  return out;
}

export interface Bed {
  /** rectangle: x/y ranges; round: centre 0,0 and radius */
  shape: "rect" | "round";
  minX: number; maxX: number; minY: number; maxY: number;
  maxZ: number;
}

export interface PrinterInfo {
  bed: Bed;
  heatedBed: boolean;
  /** [bed_mesh] area (a square inside a round mesh), or null without [bed_mesh] */
  mesh: { minX: number; maxX: number; minY: number; maxY: number } | null;
  sections: Set<string>;
  kinematics: string;
  /** [extruder] filament_diameter, mm */
  filamentDiameter: number;
  /** lowest Z the printer allows (stepper_z position_min when above 0): the case prints that much higher */
  zBase: number;
}

const num = (s: string | undefined, dflt: number): number => (s === undefined ? dflt : Number(s));
const pair = (s: string | undefined): [number, number] | null => {
  if (!s) return null;
  const [a, b] = s.split(",").map(Number);
  return a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b) ? null : [a, b];
};

/** The printer's bed and features, or a reason why no slice fits it (e.g. a winch has no bed box). */
export function readPrinter(path: string): PrinterInfo | string {
  const s = parseIni(readFileSync(path, "utf8"));
  const printer = s.get("printer");
  const kinematics = printer?.get("kinematics") ?? "none";
  const sx = s.get("stepper_x"), sy = s.get("stepper_y");
  const sz = s.get("stepper_z") ?? s.get("stepper_a");
  const maxZ = num(sz?.get("position_max"), 100);
  let bed: Bed;
  // a delta's printable radius: print_radius, most of delta_radius, or [delta_calibrate]'s probing radius
  const radius = printer?.get("print_radius") ?? printer?.get("delta_radius") ?? s.get("delta_calibrate")?.get("radius");
  if (kinematics.includes("delta") && kinematics !== "deltesian" && radius) {
    const r = Number(radius) * (printer?.get("delta_radius") && !printer.get("print_radius") ? 0.8 : 1);
    bed = { shape: "round", minX: -r, maxX: r, minY: -r, maxY: r, maxZ: deltaHeight(s) };
  } else if (kinematics === "deltesian" && sy?.get("position_max")) {
    // the two arms are symmetric about x = 0; Y is a plain rail
    bed = { shape: "rect", minX: -50, maxX: 50, minY: num(sy.get("position_min"), 0), maxY: num(sy.get("position_max"), 0), maxZ: 100 };
  } else if (sx?.get("position_max") && sy?.get("position_max")) {
    bed = {
      shape: "rect",
      minX: num(sx.get("position_min"), 0), maxX: num(sx.get("position_max"), 0),
      minY: num(sy.get("position_min"), 0), maxY: num(sy.get("position_max"), 0), maxZ,
    };
  } else return `no X/Y range to slice for (kinematics ${kinematics})`;
  const bm = s.get("bed_mesh");
  let mesh: PrinterInfo["mesh"] = null;
  if (bm) {
    const lo = pair(bm.get("mesh_min")), hi = pair(bm.get("mesh_max"));
    if (lo && hi) mesh = { minX: lo[0], maxX: hi[0], minY: lo[1], maxY: hi[1] };
    else if (bm.get("mesh_radius")) {
      const r = Number(bm.get("mesh_radius")) / Math.SQRT2;
      const [ox, oy] = pair(bm.get("mesh_origin")) ?? [0, 0];
      mesh = { minX: ox - r, maxX: ox + r, minY: oy - r, maxY: oy + r };
    }
  }
  const filamentDiameter = num(s.get("extruder")?.get("filament_diameter"), 1.75);
  const zBase = Math.max(0, num(sz?.get("position_min"), 0));
  return { bed, heatedBed: s.has("heater_bed"), mesh, sections: new Set(s.keys()), kinematics, filamentDiameter, zBase };
}

/** A delta's printable height: the towers' position_endstop (Z max) minus a margin. */
function deltaHeight(s: Sections): number {
  const a = s.get("stepper_a");
  return num(a?.get("position_endstop"), 100) - 10;
}
