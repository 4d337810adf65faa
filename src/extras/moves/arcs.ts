// G2/G3 arcs (Klipper's gcode_arcs): an arc in the selected plane (G17 XY,
// G18 XZ, G19 YZ), optionally helical, is split into straight segments of about
// `resolution` mm that are executed as G1 moves.
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import type { GCodeMove } from "../../motion/gcode-move.ts";
import { runMaybeAsync } from "../../util/maybe-async.ts";

export type ArcPlane = "XY" | "XZ" | "YZ";

export interface ArcRequest {
  /** Current g-code position [x, y, z, e]. */
  current: readonly number[];
  /** Target [x, y, z] (missing axes already filled from `current`). */
  target: readonly [number, number, number];
  /** Center offset in the plane's two axes (I/J, I/K or J/K). */
  offset: readonly [number, number];
  clockwise: boolean;
  plane: ArcPlane;
  /** E parameter, if given. */
  e: number | null;
  absoluteExtrude: boolean;
  /** Segment length (mm). */
  resolution: number;
}

/** Parameters of one generated G1 segment. */
export interface ArcSegment {
  X: number;
  Y: number;
  Z: number;
  E?: number;
}

const PLANE_AXES: Record<ArcPlane, [number, number, number]> = {
  XY: [0, 1, 2],
  XZ: [0, 2, 1],
  YZ: [1, 2, 0],
};

export function planArc(req: ArcRequest): ArcSegment[] {
  const [alpha, beta, helical] = PLANE_AXES[req.plane];
  const cur = req.current, tgt = req.target, off = req.offset;
  // Radius vector from the center to the current position
  let rP = -off[0];
  let rQ = -off[1];
  const centerP = cur[alpha]! - rP;
  const centerQ = cur[beta]! - rQ;
  const rtAlpha = tgt[alpha]! - centerP;
  const rtBeta = tgt[beta]! - centerQ;
  let angularTravel = Math.atan2(rP * rtBeta - rQ * rtAlpha, rP * rtAlpha + rQ * rtBeta);
  if (angularTravel < 0) angularTravel += 2 * Math.PI;
  if (req.clockwise) angularTravel -= 2 * Math.PI;
  if (angularTravel === 0 && cur[alpha] === tgt[alpha] && cur[beta] === tgt[beta]) {
    // Same start and end point: a full circle
    angularTravel = 2 * Math.PI;
  }
  const linearTravel = tgt[helical]! - cur[helical]!;
  const radius = Math.hypot(rP, rQ);
  const flatMm = radius * angularTravel;
  const mmOfTravel = linearTravel ? Math.hypot(flatMm, linearTravel) : Math.abs(flatMm);
  const segments = Math.max(1, Math.floor(mmOfTravel / req.resolution));
  const thetaPerSegment = angularTravel / segments;
  const linearPerSegment = linearTravel / segments;
  let ePerMove = 0, eBase = 0;
  if (req.e !== null) {
    if (req.absoluteExtrude) eBase = cur[3]!;
    ePerMove = (req.e - eBase) / segments;
  }
  const out: ArcSegment[] = [];
  for (let i = 1; i <= segments; i++) {
    const distHelical = i * linearPerSegment;
    const cTheta = i * thetaPerSegment;
    const cosTi = Math.cos(cTheta);
    const sinTi = Math.sin(cTheta);
    rP = -off[0] * cosTi + off[1] * sinTi;
    rQ = -off[0] * sinTi - off[1] * cosTi;
    let c: number[] = [0, 0, 0];
    c[alpha] = centerP + rP;
    c[beta] = centerQ + rQ;
    c[helical] = cur[helical]! + distHelical;
    if (i === segments) c = [tgt[0], tgt[1], tgt[2]];
    const seg: ArcSegment = { X: c[0]!, Y: c[1]!, Z: c[2]! };
    if (ePerMove) {
      seg.E = eBase + ePerMove;
      if (req.absoluteExtrude) eBase += ePerMove;
    }
    out.push(seg);
  }
  return out;
}

/** The [gcode_arcs] module: G2/G3 and the plane selection commands. */
class ArcSupport {
  private plane: ArcPlane = "XY";
  private readonly resolution: number;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    this.resolution = config.getFloat("resolution", 1, { above: 0 });
    const gcodeMove = printer.loadObject("gcode_move");
    const gcode = printer.gcode;
    gcode.register("G2", (g) => this.cmdArc(g, gcodeMove, true));
    gcode.register("G3", (g) => this.cmdArc(g, gcodeMove, false));
    gcode.register("G17", () => (this.plane = "XY"));
    gcode.register("G18", () => (this.plane = "XZ"));
    gcode.register("G19", () => (this.plane = "YZ"));
  }

  private cmdArc(g: GCodeCommand, gcodeMove: GCodeMove, clockwise: boolean): void | Promise<void> {
    if (!gcodeMove.absoluteCoord) throw g.error("G2/G3 does not support relative move mode");
    const cur = gcodeMove.getGcodePosition();
    const target: [number, number, number] = [g.getFloat("X", cur[0]!), g.getFloat("Y", cur[1]!), g.getFloat("Z", cur[2]!)];
    if (g.getFloat("R", null) !== null) throw g.error("G2/G3 does not support R moves");
    const i = g.getFloat("I", 0), j = g.getFloat("J", 0);
    let offset: [number, number] = [i, j];
    if (this.plane === "XZ") offset = [i, g.getFloat("K", 0)];
    else if (this.plane === "YZ") offset = [j, g.getFloat("K", 0)];
    if (!(offset[0] || offset[1])) throw g.error("G2/G3 requires IJ, IK or JK parameters");
    const segments = planArc({
      current: cur, target, offset, clockwise, plane: this.plane,
      e: g.getFloat("E", null), absoluteExtrude: gcodeMove.absoluteExtrude, resolution: this.resolution,
    });
    const f = g.getFloat("F", null);
    const gcode = this.printer.gcode;
    return runMaybeAsync(
      (function* () {
        for (const seg of segments) {
          const params: Record<string, string> = { X: String(seg.X), Y: String(seg.Y), Z: String(seg.Z) };
          if (seg.E !== undefined) params.E = String(seg.E);
          if (f !== null) params.F = String(f);
          yield gcodeMove.cmdG1(gcode.createCommand("G1", "G1", params));
        }
      })(),
    );
  }
}

registerModule("gcode_arcs", (config, printer) => new ArcSupport(config, printer));
