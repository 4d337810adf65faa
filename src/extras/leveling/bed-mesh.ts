// [bed_mesh] (Klipper's bed_mesh): BED_MESH_CALIBRATE probes a grid (with
// faulty-region substitutes and an optional zero reference), the probed matrix
// is interpolated (lagrange, bicubic or direct) into a finer mesh, and a move
// transform adds the mesh height (faded out between fade_start and fade_end)
// to every move, splitting long XY moves where the height changes.
// Profiles are kept for the session and queued for SAVE_CONFIG.
import type { ConfigSection } from "../../core/config/section.ts";
import { ConfigError } from "../../core/config/errors.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { GCodeError } from "../../core/gcode/errors.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import type { GCodeMove, MoveTarget } from "../../motion/gcode-move.ts";
import type { ProbeResult } from "../probes/probe.ts";
import { runMaybeAsync } from "../../util/maybe-async.ts";
import { ProbePointsHelper } from "../probes/probe-points.ts";

const FADE_DISABLE = 0x7fffffff;
const PROFILE_VERSION = 1;
const PROFILE_OPTIONS: Record<string, "int" | "float" | "str"> = {
  min_x: "float", max_x: "float", min_y: "float", max_y: "float",
  x_count: "int", y_count: "int", mesh_x_pps: "int", mesh_y_pps: "int", algo: "str", tension: "float",
};

type Point = [number, number];

export interface MeshParams {
  min_x: number;
  max_x: number;
  min_y: number;
  max_y: number;
  x_count: number;
  y_count: number;
  mesh_x_pps: number;
  mesh_y_pps: number;
  algo: string;
  tension: number;
}

const isclose = (a: number, b: number, absTol = 0, relTol = 1e-9) => Math.abs(a - b) <= Math.max(relTol * Math.max(Math.abs(a), Math.abs(b)), absTol);
const within = (c: readonly number[], min: readonly number[], max: readonly number[], tol = 0) =>
  max[0]! + tol >= c[0]! && c[0]! >= min[0]! - tol && max[1]! + tol >= c[1]! && c[1]! >= min[1]! - tol;
const constrain = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const lerp = (t: number, v0: number, v1: number) => (1 - t) * v0 + t * v1;
/** Python's round(x, n) for the values meshes use (half to even on the decimal). */
const round = (x: number, n: number) => Number(x.toFixed(n));

/** The interpolated height map of one calibration or profile. */
export class ZMesh {
  probedMatrix: number[][] | null = null;
  meshMatrix: number[][] | null = null;
  meshOffsets = [0, 0];
  readonly meshXCount: number;
  readonly meshYCount: number;
  private readonly xMult: number;
  private readonly yMult: number;
  private readonly meshXDist: number;
  private readonly meshYDist: number;

  constructor(readonly params: MeshParams, readonly profileName: string) {
    this.meshXCount = (params.x_count - 1) * params.mesh_x_pps + params.x_count;
    this.meshYCount = (params.y_count - 1) * params.mesh_y_pps + params.y_count;
    this.xMult = params.mesh_x_pps + 1;
    this.yMult = params.mesh_y_pps + 1;
    this.meshXDist = (params.max_x - params.min_x) / (this.meshXCount - 1);
    this.meshYDist = (params.max_y - params.min_y) / (this.meshYCount - 1);
  }

  getX(index: number): number {
    return this.params.min_x + this.meshXDist * index;
  }
  getY(index: number): number {
    return this.params.min_y + this.meshYDist * index;
  }

  buildMesh(zMatrix: number[][]): void {
    this.probedMatrix = zMatrix;
    const algo = this.params.algo;
    if (algo === "direct") this.meshMatrix = zMatrix;
    else if (algo === "lagrange") this.sampleLagrange(zMatrix);
    else if (algo === "bicubic") this.sampleBicubic(zMatrix);
    else throw new GCodeError(`bed_mesh: Unknown algorithm <${algo}>`);
  }

  private seedMatrix(z: number[][]): number[][] {
    const m: number[][] = [];
    for (let j = 0; j < this.meshYCount; j++) {
      const row: number[] = [];
      for (let i = 0; i < this.meshXCount; i++)
        row.push(i % this.xMult || j % this.yMult ? 0 : z[Math.trunc(j / this.yMult)]![Math.trunc(i / this.xMult)]!);
      m.push(row);
    }
    return m;
  }

  private sampleLagrange(z: number[][]): void {
    const m = (this.meshMatrix = this.seedMatrix(z));
    const xpts = Array.from({ length: this.params.x_count }, (_, i) => this.getX(i * this.xMult));
    const ypts = Array.from({ length: this.params.y_count }, (_, j) => this.getY(j * this.yMult));
    const calc = (lpts: number[], c: number, vec: number, axis: 0 | 1) => {
      let total = 0;
      for (let i = 0; i < lpts.length; i++) {
        let n = 1, d = 1;
        for (let j = 0; j < lpts.length; j++) {
          if (j === i) continue;
          n *= c - lpts[j]!;
          d *= lpts[i]! - lpts[j]!;
        }
        const zv = axis === 0 ? m[vec]![i * this.xMult]! : m[i * this.yMult]![vec]!;
        total += (zv * n) / d;
      }
      return total;
    };
    for (let i = 0; i < this.meshYCount; i++) {
      if (i % this.yMult !== 0) continue;
      for (let j = 0; j < this.meshXCount; j++) if (j % this.xMult !== 0) m[i]![j] = calc(xpts, this.getX(j), i, 0);
    }
    for (let i = 0; i < this.meshXCount; i++)
      for (let j = 0; j < this.meshYCount; j++) if (j % this.yMult !== 0) m[j]![i] = calc(ypts, this.getY(j), i, 1);
  }

  private sampleBicubic(z: number[][]): void {
    const m = (this.meshMatrix = this.seedMatrix(z));
    const c = this.params.tension;
    for (let y = 0; y < this.meshYCount; y++) {
      if (y % this.yMult !== 0) continue;
      for (let x = 0; x < this.meshXCount; x++) if (x % this.xMult !== 0) m[y]![x] = cardinalSpline(this.ctlPoints(m[y]!, x, this.xMult), c);
    }
    for (let x = 0; x < this.meshXCount; x++) {
      const col = m.map((row) => row[x]!);
      for (let y = 0; y < this.meshYCount; y++) {
        if (y % this.yMult === 0) continue;
        m[y]![x] = cardinalSpline(this.ctlPoints(col, y, this.yMult), c);
      }
    }
  }

  /** Control points p0..p3 and t for index `x` of a line sampled every `mult`. */
  private ctlPoints(line: number[], x: number, mult: number): [number, number, number, number, number] {
    const lastPt = line.length - 1 - mult;
    if (x < mult) return [line[0]!, line[0]!, line[mult]!, line[2 * mult]!, x / mult];
    if (x > lastPt) return [line[lastPt - mult]!, line[lastPt]!, line[lastPt + mult]!, line[lastPt + mult]!, (x - lastPt) / mult];
    for (let i = mult; i < lastPt; i += mult)
      if (x > i && x < i + mult) return [line[i - mult]!, line[i]!, line[i + mult]!, line[i + 2 * mult]!, (x - i) / mult];
    throw new GCodeError("bed_mesh: Error finding control points");
  }

  setZeroReference(x: number, y: number): void {
    const offset = this.calcZ(x, y);
    for (const matrix of [this.probedMatrix!, this.meshMatrix!])
      for (const row of matrix) for (let i = 0; i < row.length; i++) row[i] = row[i]! - offset;
  }

  private linearIndex(coord: number, axis: 0 | 1): [number, number] {
    const min = axis === 0 ? this.params.min_x : this.params.min_y;
    const cnt = axis === 0 ? this.meshXCount : this.meshYCount;
    const dist = axis === 0 ? this.meshXDist : this.meshYDist;
    const idx = constrain(Math.floor((coord - min) / dist), 0, cnt - 2);
    const t = (coord - (axis === 0 ? this.getX(idx) : this.getY(idx))) / dist;
    return [constrain(t, 0, 1), idx];
  }

  calcZ(x: number, y: number): number {
    const tbl = this.meshMatrix;
    if (!tbl) return 0;
    const [tx, xi] = this.linearIndex(x + this.meshOffsets[0]!, 0);
    const [ty, yi] = this.linearIndex(y + this.meshOffsets[1]!, 1);
    const z0 = lerp(tx, tbl[yi]![xi]!, tbl[yi]![xi + 1]!);
    const z1 = lerp(tx, tbl[yi + 1]![xi]!, tbl[yi + 1]![xi + 1]!);
    return lerp(ty, z0, z1);
  }

  getZRange(): [number, number] {
    if (!this.meshMatrix) return [0, 0];
    return [Math.min(...this.meshMatrix.map((r) => Math.min(...r))), Math.max(...this.meshMatrix.map((r) => Math.max(...r)))];
  }

  /** Average height rounded to 0.01 mm (an offset that common Z step sizes divide). */
  getZAverage(): number {
    if (!this.meshMatrix) return 0;
    let sum = 0, n = 0;
    for (const r of this.meshMatrix) for (const v of r) (sum += v), n++;
    return round(sum / n, 2);
  }

  roundedMatrix(m: number[][] | null): number[][] {
    return m ? m.map((r) => r.map((z) => round(z, 6))) : [[]];
  }
}

function cardinalSpline(p: [number, number, number, number, number], tension: number): number {
  const t = p[4];
  const t2 = t * t;
  const t3 = t2 * t;
  const m1 = tension * (p[2] - p[0]);
  const m2 = tension * (p[3] - p[1]);
  const a = p[1] * (2 * t3 - 3 * t2 + 1);
  const b = p[2] * (-2 * t3 + 3 * t2);
  const c = m1 * (t3 - 2 * t2 + t);
  const d = m2 * (t3 - t2);
  return a + b + c + d;
}

/** Splits a move where the mesh height changes by more than split_delta_z. */
class MoveSplitter {
  private mesh: ZMesh | null = null;
  private fadeOffset = 0;
  private prevPos: number[] = [];
  private nextPos: number[] = [];
  private currentPos: number[] = [];
  private zFactor = 1;
  private zOffset = 0;
  traverseComplete = true;
  private distanceChecked = 0;
  private totalMoveLength = 0;
  private axisMove: boolean[] = [];

  constructor(private readonly splitDeltaZ: number, private readonly moveCheckDistance: number) {}

  initialize(mesh: ZMesh | null, fadeOffset: number): void {
    this.mesh = mesh;
    this.fadeOffset = fadeOffset;
  }

  private calcZOffset(pos: readonly number[]): number {
    const z = this.mesh!.calcZ(pos[0]!, pos[1]!);
    return this.zFactor * (z - this.fadeOffset) + this.fadeOffset;
  }

  buildMove(prevPos: readonly number[], nextPos: readonly number[], factor: number): void {
    this.prevPos = prevPos.slice();
    this.nextPos = nextPos.slice();
    this.currentPos = prevPos.slice();
    this.zFactor = factor;
    this.zOffset = this.calcZOffset(prevPos);
    this.traverseComplete = false;
    this.distanceChecked = 0;
    const d = nextPos.map((np, i) => np - prevPos[i]!);
    this.totalMoveLength = Math.sqrt(d[0]! * d[0]! + d[1]! * d[1]! + d[2]! * d[2]!);
    this.axisMove = d.map((v) => !isclose(v, 0, 1e-10));
  }

  private setNextMove(distance: number): void {
    const t = distance / this.totalMoveLength;
    if (t > 1 || t < 0) throw new GCodeError("bed_mesh: Slice distance is negative or greater than entire move length");
    for (let i = 0; i < this.nextPos.length; i++) if (this.axisMove[i]) this.currentPos[i] = lerp(t, this.prevPos[i]!, this.nextPos[i]!);
  }

  split(): number[] | null {
    if (this.traverseComplete) return null;
    if (this.axisMove[0] || this.axisMove[1]) {
      while (this.distanceChecked + this.moveCheckDistance < this.totalMoveLength) {
        this.distanceChecked += this.moveCheckDistance;
        this.setNextMove(this.distanceChecked);
        const nextZ = this.calcZOffset(this.currentPos);
        if (Math.abs(nextZ - this.zOffset) >= this.splitDeltaZ) {
          this.zOffset = nextZ;
          const p = this.currentPos.slice();
          p[2] = p[2]! + this.zOffset;
          return p;
        }
      }
    }
    this.currentPos = this.nextPos.slice();
    this.zOffset = this.calcZOffset(this.currentPos);
    this.currentPos[2] = this.currentPos[2]! + this.zOffset;
    this.traverseComplete = true;
    return this.currentPos;
  }
}

const enum ZrefMode {
  DISABLED,
  IN_MESH,
  PROBE,
}

/** Where to probe: the grid, faulty region substitutes, the zero reference. */
class ProbeManager {
  readonly faultyRegions: [number[], number[]][] = [];
  readonly zeroRefPos: number[] | null;
  zrefMode = ZrefMode.DISABLED;
  basePoints: Point[] = [];
  substitutes = new Map<number, Point[]>();
  readonly probeHelper: ProbePointsHelper;

  constructor(config: ConfigSection, printer: Printer, finalize: (results: ProbeResult[]) => void) {
    config.getFloat("scan_overshoot", 0, { minval: 1 });
    this.zeroRefPos = config.getFloatList("zero_reference_position", null, { count: 2 });
    this.probeHelper = new ProbePointsHelper(config, printer, finalize, []);
    this.probeHelper.useXyOffsets(true);
    for (let i = 1; i < 100; i++) {
      const start = config.getFloatList(`faulty_region_${i}_min`, null, { count: 2 });
      if (start === null) break;
      const end = config.getFloatList(`faulty_region_${i}_max`, undefined, { count: 2 });
      const c1 = [Math.min(start[0]!, end[0]!), Math.min(start[1]!, end[1]!)];
      const c3 = [Math.max(start[0]!, end[0]!), Math.max(start[1]!, end[1]!)];
      const c2 = [c1[0]!, c3[1]!], c4 = [c3[0]!, c1[1]!];
      this.faultyRegions.forEach(([pc1, pc3], j) => {
        const pc2 = [pc1[0]!, pc3[1]!], pc4 = [pc3[0]!, pc1[1]!];
        for (const c of [pc1, pc2, pc3, pc4])
          if (within(c, c1, c3))
            throw new ConfigError(`bed_mesh: Existing faulty_region_${j + 1} [${pc1}, ${pc3}] overlaps added faulty_region_${i} [${c1}, ${c3}]`);
        for (const c of [c1, c2, c3, c4])
          if (within(c, pc1, pc3))
            throw new ConfigError(`bed_mesh: Added faulty_region_${i} [${c1}, ${c3}] overlaps existing faulty_region_${j + 1} [${pc1}, ${pc3}]`);
      });
      this.faultyRegions.push([c1, c3]);
    }
  }

  generatePoints(cfg: MeshConfig, meshMin: Point, meshMax: Point, radius: number | null, origin: Point | null, method = "automatic"): void {
    const { x_count: xCnt, y_count: yCnt } = cfg;
    let [minX, minY] = meshMin;
    let [maxX, maxY] = meshMax;
    let xDist = Math.floor(((maxX - minX) / (xCnt - 1)) * 100) / 100;
    let yDist = Math.floor(((maxY - minY) / (yCnt - 1)) * 100) / 100;
    if (xDist < 1 || yDist < 1) throw new GCodeError("bed_mesh: min/max points too close together");
    if (radius !== null) {
      yDist = xDist;
      const r = Math.trunc(xCnt / 2) * xDist;
      minX = minY = -r;
      maxX = maxY = r;
    } else {
      maxX = minX + xDist * (xCnt - 1);
    }
    let posY = minY;
    const points: Point[] = [];
    for (let i = 0; i < yCnt; i++) {
      for (let j = 0; j < xCnt; j++) {
        const posX = i % 2 === 0 ? minX + j * xDist : maxX - j * xDist;
        if (radius === null) points.push([posX, posY]);
        else if (Math.sqrt(posX * posX + posY * posY) <= radius) points.push([origin![0] + posX, origin![1] + posY]);
      }
      posY += yDist;
    }
    if (this.zeroRefPos === null || method === "manual") this.zrefMode = ZrefMode.DISABLED;
    else if (within(this.zeroRefPos, meshMin, meshMax)) this.zrefMode = ZrefMode.IN_MESH;
    else this.zrefMode = ZrefMode.PROBE;
    this.basePoints = points;
    this.substitutes = new Map();
    this.processFaultyRegions([minX, minY], [maxX, maxY], radius);
    this.probeHelper.probePoints = this.stdPath();
    this.probeHelper.minimumPoints(3);
  }

  private processFaultyRegions(minPt: Point, maxPt: Point, radius: number | null): void {
    if (!this.faultyRegions.length) return;
    if (this.zrefMode === ZrefMode.PROBE)
      for (const [minC, maxC] of this.faultyRegions)
        if (within(this.zeroRefPos!, minC, maxC))
          throw new GCodeError(
            `bed_mesh: Cannot probe zero reference position at (${this.zeroRefPos![0]!.toFixed(2)}, ${this.zeroRefPos![1]!.toFixed(2)}) as it is located within a faulty region. Check the value for option 'zero_reference_position'`,
          );
    let lastY = this.basePoints[0]![1];
    let reversed = false;
    this.basePoints.forEach((coord, i) => {
      if (!isclose(coord[1], lastY)) reversed = !reversed;
      lastY = coord[1];
      let adj: Point[] = [];
      for (const [minC, maxC] of this.faultyRegions) {
        if (within(coord, minC, maxC, 0.00001)) {
          adj = [[minC[0]!, coord[1]], [coord[0], minC[1]!], [coord[0], maxC[1]!], [maxC[0]!, coord[1]]];
          if (reversed) [adj[0], adj[3]] = [adj[3]!, adj[0]!];
          break;
        }
      }
      if (!adj.length) return;
      const valid = adj.filter((ac) => (radius === null ? within(ac, minPt, maxPt, 0.000001) : Math.sqrt(ac[0] * ac[0] + ac[1] * ac[1]) <= radius));
      if (!valid.length) throw new GCodeError(`bed_mesh: Unable to generate coordinates for faulty region at index: ${i}`);
      this.substitutes.set(i, valid);
    });
  }

  stdPath(): Point[] {
    const path: Point[] = [];
    this.basePoints.forEach((pt, idx) => {
      const subs = this.substitutes.get(idx);
      if (subs) path.push(...subs);
      else path.push(pt);
    });
    if (this.zrefMode === ZrefMode.PROBE) path.push([this.zeroRefPos![0]!, this.zeroRefPos![1]!]);
    return path;
  }
}

interface MeshConfig {
  x_count: number;
  y_count: number;
  mesh_x_pps: number;
  mesh_y_pps: number;
  algo: string;
  tension: number;
}

function parseConfigPair(config: ConfigSection, option: string, def: number, minval: number): [number, number] {
  let pair = config.getIntList(option, [def, def]);
  if (pair.length !== 2) {
    if (pair.length !== 1) throw new ConfigError(`bed_mesh: malformed '${option}' value: ${config.get(option)}`);
    pair = [pair[0]!, pair[0]!];
  }
  if (pair[0]! < minval || pair[1]! < minval)
    throw new ConfigError(`Option '${option}' in section bed_mesh must have a minimum of ${minval}`);
  return [pair[0]!, pair[1]!];
}

function parseGcmdPair(g: GCodeCommand, name: string, minval: number): [number, number] {
  const parts = g.get(name).split(",").map((v) => v.trim());
  const nums = parts.map((v) => (/^[+-]?\d+$/.test(v) ? Number(v) : NaN));
  if (nums.some(Number.isNaN) || (nums.length !== 1 && nums.length !== 2)) throw g.error(`Unable to parse parameter '${name}'`);
  const pair: [number, number] = nums.length === 1 ? [nums[0]!, nums[0]!] : [nums[0]!, nums[1]!];
  if (pair[0] < minval || pair[1] < minval) throw g.error(`Parameter '${name}' must have a minimum of ${minval}`);
  return pair;
}

function parseGcmdCoord(g: GCodeCommand, name: string): Point {
  const parts = g.get(name).split(",").map((v) => Number(v.trim()));
  if (parts.length !== 2 || parts.some(Number.isNaN)) throw g.error(`Unable to parse parameter '${name}'`);
  return [parts[0]!, parts[1]!];
}

interface MeshToolhead {
  getPosition(): number[];
  move(newpos: readonly number[], speed: number): void | Promise<void>;
}

export class BedMesh implements MoveTarget {
  zMesh: ZMesh | null = null;
  private lastPosition = [0, 0, 0, 0];
  private readonly fadeStart: number;
  private readonly fadeEnd: number;
  private readonly fadeDist: number;
  private readonly baseFadeTarget: number | null;
  private fadeTarget = 0;
  private toolOffset = 0;
  private readonly splitter: MoveSplitter;
  readonly horizontalMoveZ: number;
  profiles = new Map<string, { points: number[][]; meshParams: MeshParams }>();
  // Calibration
  private readonly origConfig: { radius: number | null; origin: Point | null; meshMin: Point; meshMax: Point; mesh: MeshConfig };
  private meshConfig: MeshConfig;
  private meshMin: Point;
  private meshMax: Point;
  private radius: number | null;
  private origin: Point | null;
  private readonly probeMgr: ProbeManager;
  private profileName: string | null = "default";

  constructor(config: ConfigSection, private readonly printer: Printer, private readonly gcodeMove: GCodeMove) {
    // Calibration settings (Klipper reads these first)
    config.getFloat("adaptive_margin", 0);
    this.radius = config.getFloat("mesh_radius", null, { above: 0 });
    let xCnt: number, yCnt: number, minX: number, minY: number, maxX: number, maxY: number;
    this.origin = null;
    if (this.radius !== null) {
      const o = config.getFloatList("mesh_origin", [0, 0], { count: 2 });
      this.origin = [o[0]!, o[1]!];
      xCnt = yCnt = config.getInt("round_probe_count", 5, { minval: 3 });
      if (!(xCnt & 1)) throw new ConfigError("bed_mesh: probe_count must be odd for round beds");
      this.radius = Math.floor(this.radius * 10) / 10;
      minX = minY = -this.radius;
      maxX = maxY = this.radius;
    } else {
      [xCnt, yCnt] = parseConfigPair(config, "probe_count", 3, 3);
      [minX, minY] = config.getFloatList("mesh_min", undefined, { count: 2 }) as Point;
      [maxX, maxY] = config.getFloatList("mesh_max", undefined, { count: 2 }) as Point;
      if (maxX <= minX || maxY <= minY) throw new ConfigError("bed_mesh: invalid min/max points");
    }
    const pps = parseConfigPair(config, "mesh_pps", 2, 0);
    const mesh: MeshConfig = {
      x_count: xCnt, y_count: yCnt, mesh_x_pps: pps[0], mesh_y_pps: pps[1],
      algo: config.get("algorithm", "lagrange").trim().toLowerCase(),
      tension: config.getFloat("bicubic_tension", 0.2, { minval: 0, maxval: 2 }),
    };
    this.meshMin = [minX, minY];
    this.meshMax = [maxX, maxY];
    this.origConfig = { radius: this.radius, origin: this.origin, meshMin: this.meshMin, meshMax: this.meshMax, mesh: { ...mesh } };
    this.meshConfig = mesh;
    this.verifyAlgorithm((m) => new ConfigError(m));
    this.origConfig.mesh = { ...this.meshConfig };
    this.probeMgr = new ProbeManager(config, printer, (results) => this.probeFinalize(results));
    this.probeMgr.generatePoints(this.meshConfig, this.meshMin, this.meshMax, this.radius, this.origin);
    // Transform settings
    this.horizontalMoveZ = config.getFloat("horizontal_move_z", 5);
    let fadeStart = config.getFloat("fade_start", 1);
    let fadeEnd = config.getFloat("fade_end", 0);
    this.fadeDist = fadeEnd - fadeStart;
    if (this.fadeDist <= 0) fadeStart = fadeEnd = FADE_DISABLE;
    this.fadeStart = fadeStart;
    this.fadeEnd = fadeEnd;
    this.baseFadeTarget = config.getFloat("fade_target", null);
    this.splitter = new MoveSplitter(config.getFloat("split_delta_z", 0.025, { minval: 0.01 }), config.getFloat("move_check_distance", 5, { minval: 3 }));
    this.loadStoredProfiles(config);
    this.registerCommands();
    gcodeMove.setMoveTransform(this);
  }

  private verifyAlgorithm(error: (msg: string) => Error): void {
    const p = this.meshConfig;
    const maxCnt = Math.max(p.x_count, p.y_count), minCnt = Math.min(p.x_count, p.y_count);
    if (p.algo !== "lagrange" && p.algo !== "bicubic") throw error(`bed_mesh: Unknown algorithm <${p.algo}>`);
    if (Math.max(p.mesh_x_pps, p.mesh_y_pps) === 0) p.algo = "direct";
    else if (p.algo === "lagrange" && maxCnt > 6)
      throw error(`bed_mesh: cannot exceed a probe_count of 6 when using lagrange interpolation. Configured Probe Count: ${p.x_count}, ${p.y_count}`);
    else if (p.algo === "bicubic" && minCnt < 4) {
      if (maxCnt > 6)
        throw error(
          "bed_mesh: invalid probe_count option when using bicubic interpolation.  Combination of 3 points on one axis with more than 6 on another is not permitted. " +
            `Configured Probe Count: ${p.x_count}, ${p.y_count}`,
        );
      p.algo = "lagrange";
    }
  }

  private toolhead(): MeshToolhead {
    return this.printer.lookupObject("toolhead");
  }

  // ---- transform ----
  setMesh(mesh: ZMesh | null): void {
    if (mesh && this.fadeEnd !== FADE_DISABLE) {
      if (this.baseFadeTarget === null) this.fadeTarget = mesh.getZAverage();
      else {
        this.fadeTarget = this.baseFadeTarget;
        const [minZ, maxZ] = mesh.getZRange();
        if (!(minZ <= this.fadeTarget && this.fadeTarget <= maxZ) && this.fadeTarget !== 0) {
          const err = this.fadeTarget;
          this.zMesh = null;
          this.fadeTarget = 0;
          throw new GCodeError(
            `bed_mesh: ERROR, fade_target lies outside of mesh z range\nmin: ${minZ.toFixed(4)}, max: ${maxZ.toFixed(4)}, fade_target: ${err.toFixed(4)}`,
          );
        }
      }
      const [minZ, maxZ] = mesh.getZRange();
      if (this.fadeDist <= Math.max(Math.abs(minZ), Math.abs(maxZ))) {
        this.zMesh = null;
        this.fadeTarget = 0;
        throw new GCodeError(
          `bed_mesh:  Mesh extends outside of the fade range, please see the fade_start and fade_end options inexample-extras.cfg. fade distance: ${this.fadeDist.toFixed(2)} mesh min: ${minZ.toFixed(4)}mesh max: ${maxZ.toFixed(4)}`,
        );
      }
    } else {
      this.fadeTarget = 0;
    }
    this.toolOffset = 0;
    this.zMesh = mesh;
    this.splitter.initialize(mesh, this.fadeTarget);
    this.gcodeMove.resetLastPosition();
  }

  private getZFactor(zPos: number): number {
    zPos += this.toolOffset;
    if (zPos >= this.fadeEnd) return 0;
    if (zPos >= this.fadeStart) return (this.fadeEnd - zPos) / this.fadeDist;
    return 1;
  }

  getPosition(): number[] {
    const cur = this.toolhead().getPosition();
    if (!this.zMesh) {
      this.lastPosition = cur;
      this.lastPosition[2] = this.lastPosition[2]! - this.fadeTarget;
    } else {
      const [x, y, z] = cur as [number, number, number];
      const maxAdj = this.zMesh.calcZ(x, y);
      let factor = 1;
      const zAdj = maxAdj - this.fadeTarget;
      const fadeZPos = z + this.toolOffset;
      if (Math.min(fadeZPos, fadeZPos - maxAdj) >= this.fadeEnd) factor = 0;
      else if (Math.max(fadeZPos, fadeZPos - maxAdj) >= this.fadeStart)
        factor = constrain((this.fadeEnd + this.fadeTarget - fadeZPos) / (this.fadeDist - zAdj), 0, 1);
      const finalZAdj = factor * zAdj + this.fadeTarget;
      this.lastPosition = [x, y, z - finalZAdj, ...cur.slice(3)];
    }
    return this.lastPosition.slice();
  }

  move(newpos: readonly number[], speed: number): void | Promise<void> {
    return runMaybeAsync(this.moveSteps(newpos, speed));
  }

  private *moveSteps(newpos: readonly number[], speed: number): Generator<unknown, void, unknown> {
    const factor = this.getZFactor(newpos[2]!);
    const th = this.toolhead();
    if (!this.zMesh || !factor) {
      yield th.move([newpos[0]!, newpos[1]!, newpos[2]! + this.fadeTarget, ...newpos.slice(3)], speed);
    } else {
      this.splitter.buildMove(this.lastPosition, newpos, factor);
      while (!this.splitter.traverseComplete) {
        const split = this.splitter.split();
        if (!split) throw new GCodeError("Mesh Leveling: Error splitting move ");
        yield th.move(split, speed);
      }
    }
    this.lastPosition = newpos.slice();
  }

  // ---- calibration ----
  private updateConfig(g: GCodeCommand): void {
    this.radius = this.origConfig.radius;
    this.origin = this.origConfig.origin;
    this.meshMin = this.origConfig.meshMin;
    this.meshMax = this.origConfig.meshMax;
    this.meshConfig = { ...this.origConfig.mesh };
    const params = g.getCommandParameters();
    if (this.radius !== null) {
      if ("MESH_RADIUS" in params) {
        this.radius = Math.floor(g.getFloat("MESH_RADIUS") * 10) / 10;
        this.meshMin = [-this.radius, -this.radius];
        this.meshMax = [this.radius, this.radius];
      }
      if ("MESH_ORIGIN" in params) this.origin = parseGcmdCoord(g, "MESH_ORIGIN");
      if ("ROUND_PROBE_COUNT" in params) this.meshConfig.x_count = this.meshConfig.y_count = g.getInt("ROUND_PROBE_COUNT", undefined, { minval: 3 });
    } else {
      if ("MESH_MIN" in params) this.meshMin = parseGcmdCoord(g, "MESH_MIN");
      if ("MESH_MAX" in params) this.meshMax = parseGcmdCoord(g, "MESH_MAX");
      if ("PROBE_COUNT" in params) [this.meshConfig.x_count, this.meshConfig.y_count] = parseGcmdPair(g, "PROBE_COUNT", 3);
    }
    if ("MESH_PPS" in params) [this.meshConfig.mesh_x_pps, this.meshConfig.mesh_y_pps] = parseGcmdPair(g, "MESH_PPS", 0);
    if ("ALGORITHM" in params) this.meshConfig.algo = g.get("ALGORITHM").trim().toLowerCase();
    if (g.getInt("ADAPTIVE", 0)) throw g.error("bed_mesh: ADAPTIVE meshes are not supported by this build");
    this.verifyAlgorithm((m) => g.error(m));
    this.probeMgr.generatePoints(this.meshConfig, this.meshMin, this.meshMax, this.radius, this.origin, g.get("METHOD", "automatic"));
  }

  private cmdCalibrate(g: GCodeCommand): void | Promise<void> {
    this.profileName = g.get("PROFILE", "default");
    if (!this.profileName.trim()) throw g.error("Value for parameter 'PROFILE' must be specified");
    this.setMesh(null);
    this.updateConfig(g);
    return this.probeMgr.probeHelper.startProbe(g);
  }

  private probeFinalize(results: ProbeResult[]): void {
    let zOffset = 0;
    let positions = results.map((p) => [round(p.bedX, 2), round(p.bedY, 2), p.bedZ]);
    if (this.probeMgr.zrefMode === ZrefMode.PROBE) zOffset = positions.pop()![2]!;
    const base = this.probeMgr.basePoints;
    const params: MeshParams = {
      ...this.meshConfig,
      min_x: Math.min(...base.map((p) => p[0])), max_x: Math.max(...base.map((p) => p[0])),
      min_y: Math.min(...base.map((p) => p[1])), max_y: Math.max(...base.map((p) => p[1])),
    };
    const subs = this.probeMgr.substitutes;
    if (subs.size) {
      // Each substituted point gets the average Z of its substitutes
      const corrected: number[][] = [];
      let idxOffset = 0, startIdx = 0;
      for (const i of [...subs.keys()].sort((a, b) => a - b)) {
        const pts = subs.get(i)!;
        const idx = i + idxOffset;
        corrected.push(...positions.slice(startIdx, idx));
        const avgZ = positions.slice(idx, idx + pts.length).reduce((s, p) => s + p[2]!, 0) / pts.length;
        idxOffset += pts.length - 1;
        startIdx = idx + pts.length;
        corrected.push([base[i]![0], base[i]![1], avgZ]);
      }
      corrected.push(...positions.slice(startIdx));
      positions = corrected;
    }
    if (base.length !== positions.length)
      throw new GCodeError(`bed_mesh: invalid position list size, generated count: ${base.length}, probed count: ${positions.length}`);
    const matrix: number[][] = [];
    let row: number[] = [];
    let prev = base[0]!;
    base.forEach((pos, k) => {
      const zPos = positions[k]![2]! - zOffset;
      if (!isclose(pos[1], prev[1], 0.1)) {
        matrix.push(row);
        row = [];
      }
      if (pos[0] > prev[0]) row.push(zPos);
      else row.unshift(zPos);
      prev = pos;
    });
    matrix.push(row);
    if (matrix.length !== params.y_count)
      throw new GCodeError(`bed_mesh: Invalid y-axis table length\nProbed table length: ${matrix.length} Probed Table:\n${JSON.stringify(matrix)}`);
    if (this.radius !== null) {
      for (const r of matrix) {
        if (!(r.length & 1)) throw new GCodeError(`bed_mesh: incorrect number of points sampled on X\nProbed Table:\n${JSON.stringify(matrix)}`);
        const buf = Math.trunc((params.x_count - r.length) / 2);
        if (!buf) continue;
        const left = new Array<number>(buf).fill(r[0]!), right = new Array<number>(buf).fill(r[r.length - 1]!);
        r.unshift(...left);
        r.push(...right);
      }
    }
    for (const r of matrix)
      if (r.length !== params.x_count)
        throw new GCodeError(`bed_mesh: invalid x-axis table length\nProbed table length: ${matrix.length} Probed Table:\n${JSON.stringify(matrix)}`);
    const zMesh = new ZMesh(params, this.profileName ?? "adaptive");
    zMesh.buildMesh(matrix);
    if (this.probeMgr.zrefMode === ZrefMode.IN_MESH) zMesh.setZeroReference(this.probeMgr.zeroRefPos![0]!, this.probeMgr.zeroRefPos![1]!);
    this.setMesh(zMesh);
    this.printer.gcode.respondInfo("Mesh Bed Leveling Complete");
    if (this.profileName !== null) this.saveProfile(this.profileName);
  }

  // ---- profiles ----
  private loadStoredProfiles(config: ConfigSection): void {
    for (const profile of config.getPrefixSections(config.getName())) {
      if (profile.getName() === config.getName()) continue;
      const name = profile.getName().split(" ").slice(1).join(" ");
      if (profile.getInt("version", 0) !== PROFILE_VERSION) continue;
      const points = (profile.getLists<number>("points", undefined, { seps: [",", "\n"], parser: Number }) as number[][]).map((r) => r.slice());
      const meshParams: Record<string, number | string> = {};
      for (const [key, t] of Object.entries(PROFILE_OPTIONS))
        meshParams[key] = t === "int" ? profile.getInt(key) : t === "float" ? profile.getFloat(key) : profile.get(key);
      this.profiles.set(name, { points, meshParams: meshParams as unknown as MeshParams });
    }
  }

  saveProfile(name: string): void {
    const z = this.zMesh;
    if (!z) {
      this.printer.gcode.respondInfo(`Unable to save to profile [${name}], the bed has not been probed`);
      return;
    }
    const probed = z.roundedMatrix(z.probedMatrix);
    const autosave = this.printer.config.autosave;
    const section = `bed_mesh ${name}`;
    autosave.set(section, "version", PROFILE_VERSION);
    autosave.set(section, "points", probed.map((r) => `\n  ${r.map((p) => p.toFixed(6)).join(", ")}`).join(""));
    for (const [k, v] of Object.entries(z.params)) autosave.set(section, k, typeof v === "number" && !Number.isInteger(v) ? String(v) : v);
    this.profiles.set(name, { points: probed, meshParams: { ...z.params } });
    this.printer.gcode.respondInfo(
      `Bed Mesh state has been saved to profile [${name}]\nfor the current session.  The SAVE_CONFIG command will\nupdate the printer config file and restart the printer.`,
    );
  }

  loadProfile(name: string): void {
    const p = this.profiles.get(name);
    if (!p) throw new GCodeError(`bed_mesh: Unknown profile [${name}]`);
    const z = new ZMesh(p.meshParams, name);
    z.buildMesh(p.points.map((r) => r.slice()));
    this.setMesh(z);
  }

  removeProfile(name: string): void {
    if (!this.profiles.has(name)) {
      this.printer.gcode.respondInfo(`No profile named [${name}] to remove`);
      return;
    }
    this.printer.config.autosave.removeSection(`bed_mesh ${name}`);
    this.profiles.delete(name);
    this.printer.gcode.respondInfo(
      `Profile [${name}] removed from storage for this session.\nThe SAVE_CONFIG command will update the printer\nconfiguration and restart the printer`,
    );
  }

  private registerCommands(): void {
    const gcode = this.printer.gcode;
    gcode.register("BED_MESH_CALIBRATE", (g) => this.cmdCalibrate(g), { desc: "Perform Mesh Bed Leveling" });
    gcode.register("BED_MESH_CLEAR", () => this.setMesh(null), { desc: "Clear the Mesh so no z-adjustment is made" });
    gcode.register("BED_MESH_OUTPUT", (g) => {
      if (!this.zMesh) return g.respondInfo("Bed has not been probed");
      g.respondInfo(`Mesh Leveling Probed Z positions:\n${this.zMesh.probedMatrix!.map((r) => r.map((x) => ` ${x.toFixed(6)}`).join("")).join("\n")}`);
    }, { desc: "Retrieve interpolated grid of probed z-points" });
    gcode.register("BED_MESH_MAP", (g) => {
      if (!this.zMesh) return g.respondInfo("Bed has not been probed");
      const p = this.zMesh.params;
      g.respondRaw(`mesh_map_output ${JSON.stringify({ mesh_min: [p.min_x, p.min_y], mesh_max: [p.max_x, p.max_y], z_positions: this.zMesh.roundedMatrix(this.zMesh.probedMatrix) })}`);
    }, { desc: "Serialize mesh and output to terminal" });
    gcode.register("BED_MESH_OFFSET", (g) => {
      if (!this.zMesh) return g.respondInfo("No mesh loaded to offset");
      const x = g.getFloat("X", null), y = g.getFloat("Y", null);
      if (x !== null) this.zMesh.meshOffsets[0] = x;
      if (y !== null) this.zMesh.meshOffsets[1] = y;
      const tool = g.getFloat("ZFADE", null);
      if (tool !== null) this.toolOffset = tool;
      this.gcodeMove.resetLastPosition();
    }, { desc: "Add X/Y offsets to the mesh lookup" });
    gcode.register("BED_MESH_PROFILE", (g) => {
      for (const key of ["LOAD", "SAVE", "REMOVE"] as const) {
        const name = g.get(key, null);
        if (name === null) continue;
        if (!name.trim()) throw g.error(`Value for parameter '${key}' must be specified`);
        if (name === "default" && key === "SAVE") g.respondInfo("Profile 'default' is reserved, please choose another profile name.");
        else if (key === "LOAD") this.loadProfile(name);
        else if (key === "SAVE") this.saveProfile(name);
        else this.removeProfile(name);
        return;
      }
      g.respondInfo(`Invalid syntax '${g.getCommandline()}'`);
    }, { desc: "Bed Mesh Persistent Storage management" });
  }

  getStatus(): Record<string, unknown> {
    const z = this.zMesh;
    const profiles: Record<string, unknown> = {};
    for (const [n, p] of this.profiles) profiles[n] = { points: p.points, mesh_params: p.meshParams };
    if (!z) return { profile_name: "", mesh_min: [0, 0], mesh_max: [0, 0], probed_matrix: [[]], mesh_matrix: [[]], profiles };
    return {
      profile_name: z.profileName, mesh_min: [z.params.min_x, z.params.min_y], mesh_max: [z.params.max_x, z.params.max_y],
      probed_matrix: z.roundedMatrix(z.probedMatrix), mesh_matrix: z.roundedMatrix(z.meshMatrix), profiles,
    };
  }
}

registerModule("bed_mesh", (config, printer) => new BedMesh(config, printer, printer.loadObject("gcode_move")));
