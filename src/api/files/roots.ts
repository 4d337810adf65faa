// The file manager's roots (gcodes, config, logs under the data folder) and the one place that turns
// a client's "root/relative/path" into an absolute path: traversal, bad names and symlinks that lead
// out of the root are refused here, before anything is read or written.
import { mkdirSync, realpathSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { ApiError } from "../endpoint.ts";

export type RootName = "gcodes" | "config" | "logs";
export type Permissions = "rw" | "r" | "";

export interface Root {
  name: RootName;
  /** Absolute path on disk (realpath'd once at start). */
  path: string;
  permissions: Permissions;
}

/** G-code extensions Moonraker lists in the gcodes root (server.files.list filters on them). */
export const GCODE_EXTENSIONS = [".gcode", ".g", ".gco", ".ufp", ".nc"];

export function isGcodeName(name: string): boolean {
  const lower = name.toLowerCase();
  return GCODE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** Create the roots under the data folder (if missing) and return them. */
export function createRoots(dataDir: string): Map<RootName, Root> {
  const roots = new Map<RootName, Root>();
  const specs: [RootName, Permissions][] = [
    ["gcodes", "rw"],
    ["config", "rw"],
    ["logs", "r"],
  ];
  for (const [name, permissions] of specs) {
    const p = join(dataDir, name);
    mkdirSync(p, { recursive: true });
    roots.set(name, { name, path: realpathSync(p), permissions });
  }
  return roots;
}

const MAX_NAME_BYTES = 255;

/**
 * Split and check a path relative to a root: no "..", no empty or "." segments in the middle, no
 * control characters or backslashes, each segment at most 255 bytes. Returns the clean segments.
 */
export function checkRelativePath(rel: string): string[] {
  const trimmed = rel.replace(/^\/+/, "").replace(/\/+$/, "");
  if (trimmed === "") return [];
  const parts = trimmed.split("/");
  for (const part of parts) {
    if (part === "" || part === "." || part === "..") throw new ApiError(`Invalid path: '${rel}'`, 400);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f\\]/.test(part)) throw new ApiError(`Invalid characters in file name: '${rel}'`, 400);
    if (Buffer.byteLength(part) > MAX_NAME_BYTES) throw new ApiError(`File name too long: '${part.slice(0, 40)}…'`, 400);
  }
  return parts;
}

/** A resolved location inside a root. */
export interface Location {
  root: Root;
  /** Path relative to the root, "/"-separated, no leading slash ("" = the root itself). */
  rel: string;
  /** Absolute path on disk. */
  abs: string;
}

/** Split "gcodes/dir/file.gcode" into its root and the rest; unknown root → 400. */
export function splitRootPath(roots: Map<RootName, Root>, full: string): { root: Root; rel: string } {
  const clean = full.replace(/^\/+/, "");
  const slash = clean.indexOf("/");
  const name = slash < 0 ? clean : clean.slice(0, slash);
  const root = roots.get(name as RootName);
  if (!root) throw new ApiError(`Invalid root path (${name || full})`, 400);
  return { root, rel: slash < 0 ? "" : clean.slice(slash + 1) };
}

/**
 * Resolve `rel` inside `root`. The deepest existing ancestor (or the item itself) is realpath'd and
 * must stay inside the root, so a symlink cannot lead a read or a write out of it.
 */
export function resolveIn(root: Root, rel: string): Location {
  const parts = checkRelativePath(rel);
  const relClean = parts.join("/");
  const abs = parts.length ? join(root.path, ...parts) : root.path;
  let probe = abs;
  for (;;) {
    let real: string | null = null;
    try {
      real = realpathSync(probe);
    } catch {
      real = null; // does not exist (yet): check its parent
    }
    if (real !== null) {
      if (real !== root.path && !real.startsWith(root.path + sep)) {
        throw new ApiError(`Path '${root.name}/${relClean}' leads outside the '${root.name}' root`, 403);
      }
      break;
    }
    if (probe === root.path) break;
    probe = dirname(probe);
  }
  return { root, rel: relClean, abs };
}

/** Refuse writes in read-only roots. */
export function requireWritable(loc: Location): void {
  if (loc.root.permissions !== "rw") throw new ApiError(`Root '${loc.root.name}' is read-only`, 403);
}

/** A relative path for a URL (Location headers): each segment percent-encoded, "/" kept. */
export function urlPath(rel: string): string {
  return rel.split("/").map(encodeURIComponent).join("/");
}
