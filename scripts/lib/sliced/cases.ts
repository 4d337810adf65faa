// One sliced-print differential case: from (config, seed) a model, slice settings and the extra
// G-code real slicers and macros emit (M204/M205, M220/M221, SET_VELOCITY_LIMIT, G92 E, arcs, firmware
// retraction, exclude_object labels, SET_GCODE_OFFSET, a loaded bed mesh profile), all seeded, plus the
// config sections those need appended to a copy of the printer's config.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Rng } from "../random.ts";
import type { ModelKind } from "./models.ts";
import type { PrinterInfo } from "./printer.ts";
import { type SliceSettings, slice } from "./slice.ts";

export interface CaseExtras {
  accel: boolean;
  factors: boolean;
  velocityLimit: boolean;
  g92: boolean;
  arcs: boolean;
  exclude: boolean;
  gcodeOffset: boolean;
  mesh: boolean;
}

export interface SlicedCase {
  seed: number;
  settings: SliceSettings;
  extras: CaseExtras;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The case of `seed` for a printer (the same config name and seed give the same case). */
export function makeCase(configName: string, seed: number, p: PrinterInfo): SlicedCase {
  const rng = new Rng(hash(configName) ^ seed);
  const span = Math.min(p.bed.maxX - p.bed.minX, p.bed.maxY - p.bed.minY);
  const kind = rng.pick<ModelKind>(["box", "cylinder", "cone", "tube"]);
  const vase = kind !== "tube" && rng.next() < 0.25;
  const yes = (chance: number) => rng.next() < chance;
  const settings: SliceSettings = {
    model: { kind, size: Math.min(span / 4, rng.int(10, 25)), height: rng.pick([1.2, 2, 3]), facets: rng.pick([12, 32, 64]) },
    layerHeight: rng.pick([0.1, 0.15, 0.2, 0.28]),
    speedPrint: rng.pick([30, 50, 80, 120]),
    speedTravel: rng.pick([100, 150, 250]),
    relativeExtrusion: yes(0.5),
    retraction: yes(0.8),
    zHop: yes(0.4),
    vase,
    firmwareRetract: yes(0.25),
    infill: rng.pick([10, 20, 40]),
  };
  const extras: CaseExtras = {
    accel: yes(0.5), factors: yes(0.4), velocityLimit: yes(0.4), g92: yes(0.5), arcs: yes(0.5),
    exclude: yes(0.4), gcodeOffset: yes(0.4), mesh: p.mesh !== null && yes(0.7),
  };
  return { seed, settings, extras };
}

/** A one-line description of a case, for sweep output. */
export function describeCase(c: SlicedCase): string {
  const s = c.settings;
  const flags = Object.entries(c.extras).filter(([, v]) => v).map(([k]) => k);
  const opts = [s.relativeExtrusion ? "rel-E" : "abs-E", s.retraction ? (s.firmwareRetract ? "fw-retract" : "retract") : "", s.zHop ? "z-hop" : "", s.vase ? "vase" : ""].filter(Boolean);
  return `seed ${c.seed}: ${s.model.kind} ${s.model.size}x${s.model.height} mm, layer ${s.layerHeight}, ${s.speedPrint}/${s.speedTravel} mm/s, ${[...opts, ...flags].join(" ")}`;
}

/** Config sections a case needs that the printer's own config lacks (appended to a copy). */
function extraSections(c: SlicedCase, p: PrinterInfo, rng: Rng): string {
  const out: string[] = [];
  if (c.extras.arcs && !p.sections.has("gcode_arcs")) out.push("[gcode_arcs]\nresolution: 1.0");
  if (c.settings.firmwareRetract && !p.sections.has("firmware_retraction"))
    out.push("[firmware_retraction]\nretract_length: 0.8\nretract_speed: 35\nunretract_extra_length: 0.05\nunretract_speed: 25");
  if (c.extras.exclude && !p.sections.has("exclude_object")) out.push("[exclude_object]");
  if (c.extras.mesh && p.mesh) {
    const m = p.mesh;
    const rows = Array.from({ length: 3 }, () => Array.from({ length: 3 }, () => ((rng.next() - 0.5) * 0.2).toFixed(6)).join(", "));
    out.push(["[bed_mesh default]", "version = 1", "points =", ...rows.map((r) => `\t${r}`), "x_count = 3", "y_count = 3", "mesh_x_pps = 2", "mesh_y_pps = 2",
      "algo = lagrange", "tension = 0.2", `min_x = ${m.minX}`, `max_x = ${m.maxX}`, `min_y = ${m.minY}`, `max_y = ${m.maxY}`].join("\n"));
  }
  return out.length ? `\n${out.join("\n\n")}\n` : "";
}

/** Lines added to the start G-code after G28 (runs in absolute extrusion mode, before Cura's M83). */
function afterHome(c: SlicedCase, p: PrinterInfo, rng: Rng): string[] {
  // a bed below the Z range's floor: the whole print goes up by a G-code offset
  const out: string[] = p.zBase > 0 ? [`SET_GCODE_OFFSET Z=${p.zBase}`] : [];
  if (c.extras.mesh) out.push("BED_MESH_PROFILE LOAD=default");
  if (c.settings.firmwareRetract) out.push(`SET_RETRACTION RETRACT_LENGTH=${rng.pick([0.5, 1, 2])} RETRACT_SPEED=${rng.pick([20, 40])}`);
  if (c.extras.velocityLimit) out.push(`SET_VELOCITY_LIMIT ACCEL=${rng.pick([800, 1500, 3000])} SQUARE_CORNER_VELOCITY=${rng.pick([2, 5, 8])}`);
  if (c.extras.arcs) {
    // a prime circle and a helical half circle around the bed centre, then back to E 0
    const cx = p.bed.shape === "round" ? 0 : (p.bed.minX + p.bed.maxX) / 2;
    const cy = p.bed.shape === "round" ? 0 : (p.bed.minY + p.bed.maxY) / 2;
    const r = c.settings.model.size / 2 + 6;
    out.push("G90", "G1 Z2 F3000", `G1 X${(cx + r).toFixed(3)} Y${cy.toFixed(3)} F6000`, "G1 Z0.3 F600", "G92 E0",
      `G2 X${(cx + r).toFixed(3)} Y${cy.toFixed(3)} I${(-r).toFixed(3)} J0 E${(r * 0.2).toFixed(3)} F1800`,
      `G3 X${(cx - r).toFixed(3)} Y${cy.toFixed(3)} Z0.6 I${(-r).toFixed(3)} J0 E${(r * 0.3).toFixed(3)}`,
      "G17", `G2 X${(cx - r + 4).toFixed(3)} Y${(cy + 4).toFixed(3)} I4 J0 E${(r * 0.32).toFixed(3)}`, "G92 E0");
  }
  return out;
}

/** Per-layer extra G-code inserted before Cura's layer body. */
function layerExtras(c: SlicedCase, p: PrinterInfo, layer: number, layers: number, lastE: number, rng: Rng): string[] {
  const out: string[] = [];
  const { extras, settings } = c;
  if (extras.accel && layer % 2 === 1) out.push(`M204 S${rng.pick([500, 1000, 2500])}`, `M205 X${rng.pick([5, 8, 10])} Y8`);
  if (extras.factors && layer % 3 === 1) out.push(`M220 S${rng.pick([70, 100, 125])}`, `M221 S${rng.pick([90, 100, 105])}`);
  if (extras.velocityLimit && layer === 2) out.push(`SET_VELOCITY_LIMIT VELOCITY=${rng.pick([80, 150])} SQUARE_CORNER_VELOCITY=${rng.pick([3, 6])}`);
  if (extras.g92) out.push(settings.relativeExtrusion ? "G92 E0" : `G92 E${lastE.toFixed(5)}`);
  if (extras.gcodeOffset && layer === 1) out.push(`SET_GCODE_OFFSET Z=${(p.zBase + 0.05).toFixed(3)}`);
  if (extras.gcodeOffset && layer === 2) out.push("SET_GCODE_OFFSET Z_ADJUST=-0.02 MOVE=1");
  if (extras.exclude && layer === Math.max(1, Math.floor(layers * 0.7))) out.push("EXCLUDE_OBJECT NAME=PART");
  return out;
}

/** Inserts the per-layer extras and exclude_object labels into Cura's G-code. */
function decorate(gcode: string, c: SlicedCase, p: PrinterInfo, rng: Rng): string {
  const lines = gcode.split("\n");
  const layers = lines.filter((l) => l.startsWith(";LAYER:")).length;
  const out: string[] = [];
  let lastE = 0, inMesh = false;
  const cx = p.bed.shape === "round" ? 0 : (p.bed.minX + p.bed.maxX) / 2;
  const cy = p.bed.shape === "round" ? 0 : (p.bed.minY + p.bed.maxY) / 2;
  const h = c.settings.model.size / 2;
  const poly = (dx: number) => `[[${(cx + dx - h).toFixed(2)},${(cy - h).toFixed(2)}],[${(cx + dx + h).toFixed(2)},${(cy - h).toFixed(2)}],[${(cx + dx + h).toFixed(2)},${(cy + h).toFixed(2)}],[${(cx + dx - h).toFixed(2)},${(cy + h).toFixed(2)}]]`;
  for (const line of lines) {
    if (c.extras.exclude && line.startsWith(";LAYER_COUNT:"))
      out.push("EXCLUDE_OBJECT_DEFINE NAME=PART CENTER=" + `${cx.toFixed(2)},${cy.toFixed(2)} POLYGON=${poly(0)}`, `EXCLUDE_OBJECT_DEFINE NAME=GHOST CENTER=${(cx + 3 * h).toFixed(2)},${cy.toFixed(2)} POLYGON=${poly(3 * h)}`);
    const layer = /^;LAYER:(\d+)/.exec(line);
    if (layer) {
      if (inMesh) out.push("EXCLUDE_OBJECT_END NAME=PART");
      inMesh = false;
      out.push(line, ...layerExtras(c, p, Number(layer[1]), layers, lastE, rng));
      continue;
    }
    if (c.extras.exclude && line.startsWith(";MESH:")) {
      if (inMesh) out.push("EXCLUDE_OBJECT_END NAME=PART");
      inMesh = line !== ";MESH:NONMESH";
      out.push(line);
      if (inMesh) out.push("EXCLUDE_OBJECT_START NAME=PART");
      continue;
    }
    if (inMesh && line.startsWith(";TIME_ELAPSED")) {
      out.push("EXCLUDE_OBJECT_END NAME=PART");
      inMesh = false;
    }
    const e = /^G[01] .*E(-?[\d.]+)/.exec(line);
    if (e && !c.settings.relativeExtrusion) lastE = Number(e[1]);
    if (/^G92 .*E(-?[\d.]+)/.test(line)) lastE = Number(/E(-?[\d.]+)/.exec(line)![1]);
    out.push(line);
  }
  return out.join("\n");
}

export interface BuiltCase {
  config: string;
  gcode: string;
  /** config text appended to the printer's own */
  appended: string;
}

/**
 * klippy's batch mode still runs a [delayed_gcode]'s initial_duration on the wall clock, so where its
 * G-code lands in the print depends on how fast klippy runs (Stepline's batch time stands still and
 * never runs it); the case's config copy disables them (initial_duration 0, as Klipper reads it).
 */
export function withoutWallClockTimers(config: string): string {
  let inDelayed = false;
  return config
    .split("\n")
    .map((line) => {
      const head = /^\[([^\]]+)\]/.exec(line);
      if (head) inDelayed = head[1]!.trim().startsWith("delayed_gcode ");
      return inDelayed && /^initial_duration\s*[:=]/.test(line) ? "initial_duration: 0" : line;
    })
    .join("\n");
}

/** Writes `dir`/printer.cfg (the printer's config + needed sections) and `dir`/input.gcode. */
export function buildCase(dir: string, configPath: string, c: SlicedCase, p: PrinterInfo): BuiltCase {
  const rng = new Rng(c.seed * 7919 + 1);
  const appended = extraSections(c, p, rng);
  const config = join(dir, "case.cfg");
  writeFileSync(config, withoutWallClockTimers(readFileSync(configPath, "utf8")) + appended);
  const sliced = slice(dir, p, c.settings, afterHome(c, p, rng));
  const gcode = join(dir, "case.gcode");
  writeFileSync(gcode, decorate(readFileSync(sliced, "utf8"), c, p, rng));
  return { config, gcode, appended };
}
