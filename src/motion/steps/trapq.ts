// Trapezoid motion queue: the timeline of constant-acceleration segments that
// the step generators sample. Equivalent in behaviour to Klipper's trapq.
//
// API (stable; used by the toolhead, the kinematics and motion_report):
//   const tq = new TrapQ();
//   tq.append(printTime, accelT, cruiseT, decelT, sx, sy, sz, rx, ry, rz, startV, cruiseV, accel)
//       queues up to three segments (accel, cruise, decel); a gap since the last
//       segment is filled with a standstill segment (the first one at most 1 s long).
//   tq.finalizeMoves(printTime, clearHistoryTime)  segments ending by printTime
//       leave the active list (moving ones go to history); history ending by
//       clearHistoryTime is freed (the newest history entry is always kept).
//   tq.setPosition(printTime, x, y, z)  flushes everything, cuts history at printTime,
//       records a position marker.
//   tq.extractOld(startTime, endTime, max)  segments overlapping [start, end), newest first
//       (PullMove objects; not a hot path: for motion_report / get_status).
//   tq.checkSentinels()  makes the tail sentinel a standstill at the last position
//       (called before step generation).
//
// Storage: a pool of segments in one Float64Array (STRIDE doubles per segment, field
// offsets below) linked by Int32Array next/prev, so that step generation walks the
// queue without allocating. Segment index 0 is the head sentinel, 1 the tail sentinel,
// 2 the head of the (circular) history list. Kinematics read `tq.d`, `tq.next`,
// `tq.prev` afresh on each call because the arrays are replaced when the pool grows.

export const STRIDE = 10;
export const M_PRINT_TIME = 0, M_MOVE_T = 1, M_START_V = 2, M_HALF_ACCEL = 3;
export const M_START_X = 4, M_START_Y = 5, M_START_Z = 6;
export const M_AXES_RX = 7, M_AXES_RY = 8, M_AXES_RZ = 9;

export const NEVER_TIME = 9999999999999999.9;
const MAX_NULL_MOVE = 1.0;
export const HEAD = 0, TAIL = 1;
const HIST = 2;

export interface PullMove {
  printTime: number; moveT: number; startV: number; accel: number;
  startX: number; startY: number; startZ: number; xR: number; yR: number; zR: number;
}

/** Distance travelled `t` seconds into segment `m` (same expression order as Klipper). */
export function moveDistance(d: Float64Array, m: number, t: number): number {
  const b = m * STRIDE;
  return (d[b + M_START_V]! + d[b + M_HALF_ACCEL]! * t) * t;
}

export class TrapQ {
  d: Float64Array;
  next: Int32Array;
  prev: Int32Array;
  private freeHead = -1;
  private used = 3;

  constructor(initialCapacity = 256) {
    const cap = Math.max(initialCapacity, 8);
    this.d = new Float64Array(cap * STRIDE);
    this.next = new Int32Array(cap);
    this.prev = new Int32Array(cap);
    this.d[HEAD * STRIDE + M_PRINT_TIME] = -1.0;
    this.d[TAIL * STRIDE + M_PRINT_TIME] = NEVER_TIME;
    this.d[TAIL * STRIDE + M_MOVE_T] = NEVER_TIME;
    this.next[HEAD] = TAIL; this.prev[HEAD] = -1;
    this.prev[TAIL] = HEAD; this.next[TAIL] = -1;
    this.next[HIST] = HIST; this.prev[HIST] = HIST;
  }

  private alloc(): number {
    let m = this.freeHead;
    if (m >= 0) {
      this.freeHead = this.next[m]!;
    } else {
      if (this.used >= this.next.length) this.grow();
      m = this.used++;
    }
    this.d.fill(0, m * STRIDE, (m + 1) * STRIDE);
    return m;
  }

  private release(m: number): void {
    this.next[m] = this.freeHead;
    this.freeHead = m;
  }

  private grow(): void {
    const cap = this.next.length * 2;
    const d = new Float64Array(cap * STRIDE); d.set(this.d); this.d = d;
    const n = new Int32Array(cap); n.set(this.next); this.next = n;
    const p = new Int32Array(cap); p.set(this.prev); this.prev = p;
  }

  private unlink(m: number): void {
    const p = this.prev[m]!, n = this.next[m]!;
    this.next[p] = n; this.prev[n] = p;
  }

  private insertBefore(m: number, before: number): void {
    const p = this.prev[before]!;
    this.next[p] = m; this.prev[m] = p;
    this.next[m] = before; this.prev[before] = m;
  }

  private historyAddHead(m: number): void { this.insertBefore(m, this.next[HIST]!); }

  /** First queued segment (TAIL if none). */
  first(): number { return this.next[HEAD]!; }

  /** Coordinate of axis (0..2) at time t within segment m. */
  coord(m: number, axis: number, t: number): number {
    const d = this.d, b = m * STRIDE;
    return d[b + M_START_X + axis]! + d[b + M_AXES_RX + axis]! * moveDistance(d, m, t);
  }

  checkSentinels(): void {
    const d = this.d, tb = TAIL * STRIDE;
    if (d[tb + M_PRINT_TIME]) return;
    const m = this.prev[TAIL]!;
    if (m === HEAD) { d[tb + M_PRINT_TIME] = NEVER_TIME; return; }
    const b = m * STRIDE, mt = d[b + M_MOVE_T]!;
    d[tb + M_PRINT_TIME] = d[b + M_PRINT_TIME]! + mt;
    const dist = moveDistance(d, m, mt);
    d[tb + M_START_X] = d[b + M_START_X]! + d[b + M_AXES_RX]! * dist;
    d[tb + M_START_Y] = d[b + M_START_Y]! + d[b + M_AXES_RY]! * dist;
    d[tb + M_START_Z] = d[b + M_START_Z]! + d[b + M_AXES_RZ]! * dist;
  }

  private addSegment(printTime: number, moveT: number, startV: number, halfAccel: number,
                     sx: number, sy: number, sz: number, rx: number, ry: number, rz: number): number {
    const prevM = this.prev[TAIL]!;
    let d = this.d;
    const pb = prevM * STRIDE;
    const prevEnd = d[pb + M_PRINT_TIME]! + d[pb + M_MOVE_T]!;
    if (prevEnd < printTime) {
      const nm = this.alloc(); d = this.d;
      const nb = nm * STRIDE;
      d[nb + M_START_X] = sx; d[nb + M_START_Y] = sy; d[nb + M_START_Z] = sz;
      const nullStart = (d[pb + M_PRINT_TIME]! <= 0. && printTime > MAX_NULL_MOVE)
        ? printTime - MAX_NULL_MOVE : prevEnd;
      d[nb + M_PRINT_TIME] = nullStart;
      d[nb + M_MOVE_T] = printTime - nullStart;
      this.insertBefore(nm, TAIL);
    }
    const m = this.alloc(); d = this.d;
    const b = m * STRIDE;
    d[b + M_PRINT_TIME] = printTime; d[b + M_MOVE_T] = moveT;
    d[b + M_START_V] = startV; d[b + M_HALF_ACCEL] = halfAccel;
    d[b + M_START_X] = sx; d[b + M_START_Y] = sy; d[b + M_START_Z] = sz;
    d[b + M_AXES_RX] = rx; d[b + M_AXES_RY] = ry; d[b + M_AXES_RZ] = rz;
    this.insertBefore(m, TAIL);
    d[TAIL * STRIDE + M_PRINT_TIME] = 0.;
    return m;
  }

  append(printTime: number, accelT: number, cruiseT: number, decelT: number,
         startX: number, startY: number, startZ: number,
         axesRX: number, axesRY: number, axesRZ: number,
         startV: number, cruiseV: number, accel: number): void {
    // A NaN/infinite segment would make the solver emit garbage steps: refuse it here
    if (!(Number.isFinite(printTime) && Number.isFinite(accelT) && Number.isFinite(cruiseT) && Number.isFinite(decelT)
      && Number.isFinite(startX) && Number.isFinite(startY) && Number.isFinite(startZ)
      && Number.isFinite(axesRX) && Number.isFinite(axesRY) && Number.isFinite(axesRZ)
      && Number.isFinite(startV) && Number.isFinite(cruiseV) && Number.isFinite(accel)))
      throw new RangeError(`trapq move at print time ${printTime} has a non-finite value `
        + `(times ${accelT}/${cruiseT}/${decelT}, start ${startX},${startY},${startZ}, `
        + `direction ${axesRX},${axesRY},${axesRZ}, speeds ${startV}/${cruiseV}, accel ${accel})`);
    let sx = startX, sy = startY, sz = startZ;
    if (accelT) {
      const m = this.addSegment(printTime, accelT, startV, .5 * accel, sx, sy, sz, axesRX, axesRY, axesRZ);
      printTime += accelT;
      const dist = moveDistance(this.d, m, accelT);
      sx = sx + axesRX * dist; sy = sy + axesRY * dist; sz = sz + axesRZ * dist;
    }
    if (cruiseT) {
      const m = this.addSegment(printTime, cruiseT, cruiseV, 0., sx, sy, sz, axesRX, axesRY, axesRZ);
      printTime += cruiseT;
      const dist = moveDistance(this.d, m, cruiseT);
      sx = sx + axesRX * dist; sy = sy + axesRY * dist; sz = sz + axesRZ * dist;
    }
    if (decelT)
      this.addSegment(printTime, decelT, cruiseV, -.5 * accel, sx, sy, sz, axesRX, axesRY, axesRZ);
  }

  finalizeMoves(printTime: number, clearHistoryTime: number): void {
    const d = this.d;
    for (;;) {
      const m = this.next[HEAD]!;
      if (m === TAIL) { d[TAIL * STRIDE + M_PRINT_TIME] = NEVER_TIME; break; }
      const b = m * STRIDE;
      if (d[b + M_PRINT_TIME]! + d[b + M_MOVE_T]! > printTime) break;
      this.unlink(m);
      if (d[b + M_START_V] || d[b + M_HALF_ACCEL]) this.historyAddHead(m);
      else this.release(m);
    }
    if (this.next[HIST] === HIST) return;
    const latest = this.next[HIST]!;
    for (;;) {
      const m = this.prev[HIST]!;
      const b = m * STRIDE;
      if (m === latest || d[b + M_PRINT_TIME]! + d[b + M_MOVE_T]! > clearHistoryTime) break;
      this.unlink(m);
      this.release(m);
    }
  }

  setPosition(printTime: number, x: number, y: number, z: number): void {
    this.finalizeMoves(NEVER_TIME, 0);
    const d = this.d;
    while (this.next[HIST] !== HIST) {
      const m = this.next[HIST]!, b = m * STRIDE;
      if (d[b + M_PRINT_TIME]! < printTime) {
        if (d[b + M_PRINT_TIME]! + d[b + M_MOVE_T]! > printTime)
          d[b + M_MOVE_T] = printTime - d[b + M_PRINT_TIME]!;
        break;
      }
      this.unlink(m);
      this.release(m);
    }
    const m = this.alloc();
    const b = m * STRIDE, dd = this.d;
    dd[b + M_PRINT_TIME] = printTime;
    dd[b + M_START_X] = x; dd[b + M_START_Y] = y; dd[b + M_START_Z] = z;
    this.historyAddHead(m);
  }

  private pull(m: number): PullMove {
    const d = this.d, b = m * STRIDE;
    return {
      printTime: d[b + M_PRINT_TIME]!, moveT: d[b + M_MOVE_T]!, startV: d[b + M_START_V]!,
      accel: 2. * d[b + M_HALF_ACCEL]!, startX: d[b + M_START_X]!, startY: d[b + M_START_Y]!,
      startZ: d[b + M_START_Z]!, xR: d[b + M_AXES_RX]!, yR: d[b + M_AXES_RY]!, zR: d[b + M_AXES_RZ]!,
    };
  }

  extractOld(startTime: number, endTime: number, max: number): PullMove[] {
    const res: PullMove[] = [];
    const d = this.d;
    for (let m = this.prev[TAIL]!; m !== HEAD; m = this.prev[m]!) {
      const b = m * STRIDE;
      if (startTime >= d[b + M_PRINT_TIME]! + d[b + M_MOVE_T]! || res.length >= max) break;
      if (endTime <= d[b + M_PRINT_TIME]! || (!d[b + M_START_V] && !d[b + M_HALF_ACCEL])) continue;
      res.push(this.pull(m));
    }
    for (let m = this.next[HIST]!; m !== HIST; m = this.next[m]!) {
      const b = m * STRIDE;
      if (startTime >= d[b + M_PRINT_TIME]! + d[b + M_MOVE_T]! || res.length >= max) break;
      if (endTime <= d[b + M_PRINT_TIME]!) continue;
      res.push(this.pull(m));
    }
    return res;
  }
}
