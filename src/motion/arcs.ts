// G2/G3 arcs (Klipper's gcode_arcs): an arc in the selected plane (G17 XY,
// G18 XZ, G19 YZ), optionally helical, is split into straight segments of about
// `resolution` mm that are executed as G1 moves.

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
