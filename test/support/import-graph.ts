// The import graph of the source tree: every static import/export-from and dynamic import() of
// each .ts file, resolved to repo-relative paths, plus the floors of docs/architecture (which room
// a file is in and which rooms it may import) and a cycle finder. Used by test/architecture.test.ts.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

export interface ImportEdge {
  from: string;
  to: string;
  /** `import type` / `export type`: erased at runtime. */
  typeOnly: boolean;
}

const IMPORT_RE = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^"'`;]*?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function listTs(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== "node_modules") out.push(...listTs(root, rel));
    } else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(rel);
  }
  return out;
}

/** Imports of `text` (a file at repo path `file`) that point into the repo (.ts files only). */
export function importsOf(file: string, text: string): ImportEdge[] {
  const out: ImportEdge[] = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[3] ?? m[4]!;
    if (!spec.startsWith(".") || !spec.endsWith(".ts")) continue;
    out.push({ from: file, to: normalize(join(dirname(file), spec)), typeOnly: m[2] !== undefined });
  }
  return out;
}

/** Every import edge of the .ts files under `dirs` of the repo at `root`. */
export function readImportGraph(root: string, dirs: readonly string[]): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const d of dirs) for (const f of listTs(root, d)) edges.push(...importsOf(f, readFileSync(join(root, f), "utf8")));
  return edges;
}

/** A room of the building: a folder (or file) on a floor. */
export interface Room {
  name: string;
  floor: number;
}

/** Rooms by path prefix, most specific first (docs/architecture.md's floors table). */
const ROOMS: readonly [prefix: string, room: Room][] = [
  ["src/main.ts", { name: "cli", floor: 9 }],
  ["src/cli/", { name: "cli", floor: 9 }],
  ["src/cura/", { name: "cura", floor: 8 }],
  ["src/web/", { name: "web", floor: 8 }],
  ["src/api/", { name: "api", floor: 7 }],
  ["src/live/", { name: "live", floor: 6 }],
  ["src/batch/", { name: "batch", floor: 6 }],
  ["src/extras/", { name: "extras", floor: 5 }],
  ["src/motion/steps/", { name: "motion/steps", floor: 4 }],
  ["src/motion/", { name: "motion", floor: 4 }],
  ["src/core/", { name: "core", floor: 3 }],
  ["src/mcu/", { name: "mcu", floor: 2 }],
  ["firmware-bridge/", { name: "firmware-bridge", floor: 2 }],
  ["src/protocol/", { name: "protocol", floor: 1 }],
  ["src/util/", { name: "util", floor: 1 }],
];

export function roomOf(path: string): Room | null {
  for (const [prefix, room] of ROOMS) if (path === prefix || path.startsWith(prefix)) return room;
  return null;
}

/** Front doors reach the printer through the Host type only. */
const FRONT_DOORS = new Set(["api", "cura", "web"]);
const FRONT_DOOR_MAY_IMPORT = (to: string) => to === "src/core/host.ts" || to.startsWith("src/protocol/") || to.startsWith("src/util/");

/** Why the edge breaks the floors, or null when it is allowed. */
export function forbiddenReason(e: ImportEdge): string | null {
  const from = roomOf(e.from);
  const to = roomOf(e.to);
  if (!from || !to || from.name === to.name) return null;
  // The hot path is a leaf: it stands on floor 1 only
  if (from.name === "motion/steps" && to.floor !== 1) return `motion/steps is a leaf: it imports only protocol/util, not ${to.name}`;
  // motion stands on its own hot path (same floor, same room family)
  if (from.name === "motion" && to.name === "motion/steps") return null;
  if (FRONT_DOORS.has(from.name) && to.floor < 7 && !FRONT_DOOR_MAY_IMPORT(e.to)) return `front door ${from.name} imports ${to.name} beyond Host/protocol/util`;
  if (from.name === "firmware-bridge" && to.floor !== 1) return `firmware-bridge shares only protocol/util with the host, not ${to.name}`;
  if (to.floor > from.floor) return `upward: ${from.name} (floor ${from.floor}) imports ${to.name} (floor ${to.floor})`;
  if (to.floor === from.floor) return `sideways: ${from.name} imports ${to.name} across floor ${from.floor}`;
  return null;
}

/** Files on import cycles: each strongly connected component of more than one file (Tarjan). */
export function importCycles(edges: readonly ImportEdge[]): string[][] {
  const adj = new Map<string, string[]>();
  for (const e of edges) {
    if (!adj.has(e.from)) adj.set(e.from, []);
    adj.get(e.from)!.push(e.to);
    if (!adj.has(e.to)) adj.set(e.to, []);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of adj.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const comp: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      comp.push(w);
    } while (w !== v);
    if (comp.length > 1) out.push(comp.sort());
  };
  for (const v of adj.keys()) if (!index.has(v)) visit(v);
  return out;
}

export const repoRelative = (root: string, p: string) => relative(root, p);
