// The file manager: roots gcodes/config/logs in the data folder, listings, directories, move, copy,
// delete, atomic saves from a stream (uploads, Cura jobs), G-code metadata and print start. The web
// API endpoints and the Cura door both use this typed API; every change is announced once.
import { sha256 } from "../../util/crypto.ts";
import { mkdirSync, rmSync, statfsSync, type Stats } from "node:fs";
import { cp, mkdir, open, readdir, realpath, rename, rm, rmdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Host } from "../../core/host.ts";
import { ApiError } from "../endpoint.ts";
import { FileIndex, type FileAction, type FileChange, type FileItem } from "./file-watcher.ts";
import { MetadataStore, type GcodeMetadata } from "./metadata-store.ts";
import { writeZip, type ZipMember } from "./zip-writer.ts";
import { createRoots, isGcodeName, requireWritable, resolveIn, splitRootPath, type Location, type Root, type RootName } from "./roots.ts";

export type { FileChange, FileItem } from "./file-watcher.ts";
export type { GcodeMetadata } from "./metadata-store.ts";

export interface FileManagerOptions {
  dataDir: string;
  host: Host;
  log: { info(msg: string): void; warn(msg: string): void; error(msg: string): void };
  /** Largest accepted upload in bytes (default 4 GiB). */
  maxUploadBytes?: number;
  /** Watch the roots for changes made outside the API (default true). */
  watch?: boolean;
}

export interface SaveOptions {
  /** Expected SHA-256 (hex) of the content; a mismatch is 422 and nothing is kept. */
  checksum?: string;
  /** Override the size limit for this save. */
  maxBytes?: number;
}

export interface SaveResult {
  item: FileItem;
  /** Moonraker answers uploads with "create_file" also when a file was replaced. */
  action: "create_file";
}

/** A stream being written to a temp file next to the roots; commit renames it into place. */
export interface TempUpload {
  write(chunk: Uint8Array): Promise<void>;
  /** Bytes written so far. */
  readonly size: number;
  /** Close the temp file; returns its size and SHA-256 hex. */
  finish(): Promise<{ size: number; sha256: string }>;
  /** Remove the temp file (idempotent). */
  discard(): Promise<void>;
  readonly path: string;
}

const DEFAULT_MAX_UPLOAD = 4 * 1024 ** 3;

export class FileManager {
  readonly roots: Map<RootName, Root>;
  readonly maxUploadBytes: number;
  private readonly tmpDir: string;
  private readonly index: FileIndex;
  private readonly listeners = new Set<(change: FileChange) => void>();
  readonly metadataStore: MetadataStore;
  private tmpCounter = 0;

  constructor(private readonly opts: FileManagerOptions) {
    this.roots = createRoots(opts.dataDir);
    this.maxUploadBytes = opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD;
    // Temp files live beside the roots (same filesystem: rename is atomic) but outside them.
    this.tmpDir = join(opts.dataDir, ".upload-tmp");
    rmSync(this.tmpDir, { recursive: true, force: true }); // leftovers of a crash mid-upload
    mkdirSync(this.tmpDir, { recursive: true });
    this.metadataStore = new MetadataStore(this.root("gcodes").path, opts.log, join(opts.dataDir, ".stepline", "gcode-metadata.json"));
    this.index = new FileIndex(this.roots, (c) => this.announce(c), opts.log);
    if (opts.watch !== false) this.index.watch();
  }

  async close(): Promise<void> {
    this.index.close();
    await this.metadataStore.flush();
  }

  /** Listen to every change (API or outside); returns the unsubscribe function. */
  onChange(cb: (change: FileChange) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  root(name: RootName): Root {
    return this.roots.get(name)!;
  }

  /** Resolve "root/rel/path". */
  locate(full: string): Location {
    const { root, rel } = splitRootPath(this.roots, full);
    return resolveIn(root, rel);
  }

  /** Resolve a path relative to a named root ("gcodes", "config", "logs"). */
  locateIn(rootName: string, rel: string): Location {
    const root = this.roots.get(rootName as RootName);
    if (!root) throw new ApiError(`Invalid root: '${rootName}'`, 400);
    return resolveIn(root, rel);
  }

  // ---- reading -------------------------------------------------------------------------------

  rootsInfo(): { name: RootName; path: string; permissions: string }[] {
    return [...this.roots.values()].map((r) => ({ name: r.name, path: r.path, permissions: r.permissions }));
  }

  /** server.files.list: every file under the root (gcodes: G-code extensions only), recursive. */
  async list(rootName: string): Promise<{ path: string; modified: number; size: number; permissions: string }[]> {
    const loc = this.locateIn(rootName, "");
    const out: { path: string; modified: number; size: number; permissions: string }[] = [];
    const visited = new Set<string>(); // real paths of folders walked: a symlink loop is walked once
    const walk = async (abs: string, rel: string): Promise<void> => {
      const real = await realpath(abs).catch(() => abs);
      if (visited.has(real)) return;
      visited.add(real);
      const entries = await readdir(abs, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        if (e.name === ".thumbs") continue;
        const childRel = rel ? `${rel}/${e.name}` : e.name;
        const childAbs = join(abs, e.name);
        const st = await this.statInside(loc.root, childAbs);
        if (!st) continue;
        if (st.isDirectory()) await walk(childAbs, childRel);
        else if (loc.root.name !== "gcodes" || isGcodeName(e.name)) {
          out.push({ path: childRel, modified: st.mtimeMs / 1000, size: st.size, permissions: loc.root.permissions });
        }
      }
    };
    await walk(loc.abs, "");
    return out;
  }

  /** stat that follows symlinks only when they stay inside the root (others are skipped). */
  private async statInside(root: Root, abs: string): Promise<Stats | null> {
    try {
      resolveIn(root, abs.slice(root.path.length + 1));
      return await stat(abs);
    } catch {
      return null;
    }
  }

  /** server.files.get_directory. */
  async getDirectory(path: string, extended: boolean) {
    const loc = this.locate(path || "gcodes");
    const st = await stat(loc.abs).catch(() => null);
    if (!st?.isDirectory()) throw new ApiError(`Directory does not exist (${path})`, 404);
    const dirs: { dirname: string; modified: number; size: number; permissions: string }[] = [];
    const files: Record<string, unknown>[] = [];
    for (const e of await readdir(loc.abs, { withFileTypes: true })) {
      if (e.name === ".thumbs") continue;
      const childAbs = join(loc.abs, e.name);
      const cst = await this.statInside(loc.root, childAbs);
      if (!cst) continue;
      const base = { modified: cst.mtimeMs / 1000, size: cst.size, permissions: loc.root.permissions };
      if (cst.isDirectory()) dirs.push({ dirname: e.name, ...base });
      else {
        const entry: Record<string, unknown> = { filename: e.name, ...base };
        if (extended && loc.root.name === "gcodes" && isGcodeName(e.name)) {
          const rel = loc.rel ? `${loc.rel}/${e.name}` : e.name;
          const meta = await this.metadataStore.get(rel).catch(() => undefined);
          if (meta) {
            const { filename: _omit, ...rest } = meta;
            Object.assign(entry, rest, { filename: e.name });
          }
        }
        files.push(entry);
      }
    }
    return { dirs, files, disk_usage: this.diskUsage(loc.abs), root_info: { name: loc.root.name, permissions: loc.root.permissions } };
  }

  diskUsage(abs: string): { total: number; used: number; free: number } {
    try {
      const s = statfsSync(abs);
      const total = s.blocks * s.bsize;
      const free = s.bavail * s.bsize;
      return { total, used: total - s.bfree * s.bsize, free };
    } catch {
      return { total: 0, used: 0, free: 0 };
    }
  }

  /** server.files.metadata: `filename` relative to the gcodes root; 404 when missing. */
  async metadata(filename: string, force = false): Promise<GcodeMetadata> {
    const loc = this.locateIn("gcodes", filename);
    const st = await stat(loc.abs).catch(() => null);
    if (!st?.isFile()) throw new ApiError(`Metadata not available for <${filename}>`, 404);
    return this.metadataStore.get(loc.rel, force);
  }

  /** server.files.thumbnails: paths relative to the gcodes root. */
  async thumbnails(filename: string): Promise<{ width: number; height: number; size: number; thumbnail_path: string }[]> {
    const meta = await this.metadata(filename);
    const dir = dirname(meta.filename);
    return (meta.thumbnails ?? []).map((t) => ({
      width: t.width,
      height: t.height,
      size: t.size,
      thumbnail_path: dir === "." ? t.relative_path : `${dir}/${t.relative_path}`,
    }));
  }

  // ---- printer state -------------------------------------------------------------------------

  /** The file loaded for printing (relative to gcodes) while a print is active or paused, else null. */
  async fileInUse(): Promise<string | null> {
    try {
      const res = (await this.opts.host.call("objects/query", { objects: { print_stats: ["state", "filename"] } })) as {
        status?: { print_stats?: { state?: string; filename?: string } };
      };
      const ps = res.status?.print_stats;
      if (ps && (ps.state === "printing" || ps.state === "paused") && ps.filename) return ps.filename;
    } catch (err) {
      this.opts.log.info(`files: print state unknown (${(err as Error).message}); treating no file as in use`);
    }
    return null;
  }

  private async refuseInUse(loc: Location, verb: string): Promise<void> {
    if (loc.root.name !== "gcodes") return;
    const inUse = await this.fileInUse();
    if (!inUse) return;
    if (inUse === loc.rel || loc.rel === "" || inUse.startsWith(`${loc.rel}/`)) {
      throw new ApiError(`Cannot ${verb} '${loc.rel || "gcodes"}': file '${inUse}' is being printed`, 403);
    }
  }

  /** Start printing `rel` (relative to gcodes); false when the printer is busy with another job. */
  async startPrint(rel: string): Promise<boolean> {
    if (await this.fileInUse()) return false;
    const escaped = rel.replace(/"/g, '\\"');
    await this.opts.host.call("gcode/script", { script: `SDCARD_PRINT_FILE FILENAME="${escaped}"` });
    return true;
  }

  // ---- changes -------------------------------------------------------------------------------

  private announce(change: FileChange): void {
    for (const cb of this.listeners) {
      try {
        cb(change);
      } catch (err) {
        this.opts.log.error(`files: change listener failed: ${(err as Error).message}`);
      }
    }
  }

  private async itemOf(loc: Location): Promise<FileItem> {
    const st = await stat(loc.abs);
    return { root: loc.root.name, path: loc.rel, modified: st.mtimeMs / 1000, size: st.size, permissions: loc.root.permissions };
  }

  private goneItem(loc: Location): FileItem {
    return { root: loc.root.name, path: loc.rel, modified: 0, size: 0, permissions: "" };
  }

  private async changed(action: FileAction, loc: Location, source?: Location): Promise<FileChange> {
    if (source) this.index.forgetTree(source.abs);
    const gone = action === "delete_file" || action === "delete_dir";
    if (gone) this.index.forgetTree(loc.abs);
    else this.index.record(loc.abs);
    const change: FileChange = { action, item: gone ? this.goneItem(loc) : await this.itemOf(loc) };
    if (source) change.source_item = { root: source.root.name, path: source.rel };
    this.announce(change);
    return change;
  }

  /** server.files.post_directory: the parent must exist. */
  async createDirectory(path: string): Promise<FileChange> {
    const loc = this.locate(path);
    requireWritable(loc);
    if (loc.rel === "") throw new ApiError("Cannot create a root", 400);
    const parent = await stat(dirname(loc.abs)).catch(() => null);
    if (!parent?.isDirectory()) throw new ApiError(`Parent directory does not exist (${path})`, 404);
    try {
      await mkdir(loc.abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") throw new ApiError(`Directory already exists (${path})`, 400);
      throw err;
    }
    return this.changed("create_dir", loc);
  }

  /** server.files.delete_directory: must be empty unless `force`. */
  async deleteDirectory(path: string, force: boolean): Promise<FileChange> {
    const loc = this.locate(path);
    requireWritable(loc);
    if (loc.rel === "") throw new ApiError("Cannot delete a root", 400);
    const st = await stat(loc.abs).catch(() => null);
    if (!st?.isDirectory()) throw new ApiError(`Directory does not exist (${path})`, 404);
    await this.refuseInUse(loc, "delete");
    // Metadata is dropped first: from the removal to the announcement there must be no await, or
    // the watcher could announce the same change a second time.
    if (loc.root.name === "gcodes") await this.metadataStore.forgetTree(loc.rel);
    if (force) await rm(loc.abs, { recursive: true });
    else {
      const entries = (await readdir(loc.abs)).filter((n) => n !== ".thumbs");
      if (entries.length) throw new ApiError(`Directory not empty (${path})`, 400);
      await rm(join(loc.abs, ".thumbs"), { recursive: true, force: true });
      await rmdir(loc.abs);
    }
    return this.changed("delete_dir", loc);
  }

  /** server.files.delete_file and DELETE /server/files/{root}/{path}. */
  async deleteFile(path: string): Promise<FileChange> {
    const loc = this.locate(path);
    requireWritable(loc);
    const st = await stat(loc.abs).catch(() => null);
    if (!st?.isFile()) throw new ApiError(`File does not exist (${path})`, 404);
    await this.refuseInUse(loc, "delete");
    if (loc.root.name === "gcodes") await this.metadataStore.forget(loc.rel);
    await rm(loc.abs);
    return this.changed("delete_file", loc);
  }

  /** Destination of a move/copy: into `dest` when it is an existing folder (Moonraker's rule). */
  private async destination(src: Location, destPath: string): Promise<Location> {
    let dest = this.locate(destPath);
    requireWritable(dest);
    const st = await stat(dest.abs).catch(() => null);
    if (st?.isDirectory()) dest = resolveIn(dest.root, dest.rel ? `${dest.rel}/${src.abs.split("/").pop()}` : src.abs.split("/").pop()!);
    if (dest.abs === src.abs || dest.abs.startsWith(`${src.abs}/`)) throw new ApiError("Cannot move or copy an item into itself", 400);
    const parent = await stat(dirname(dest.abs)).catch(() => null);
    if (!parent?.isDirectory()) await mkdir(dirname(dest.abs), { recursive: true });
    return dest;
  }

  /** server.files.move (also rename). */
  async move(source: string, destPath: string): Promise<FileChange> {
    const src = this.locate(source);
    requireWritable(src);
    if (src.rel === "") throw new ApiError("Cannot move a root", 400);
    const st = await stat(src.abs).catch(() => null);
    if (!st) throw new ApiError(`File or directory does not exist (${source})`, 404);
    await this.refuseInUse(src, "move");
    const dest = await this.destination(src, destPath);
    await this.refuseInUse(dest, "overwrite");
    if (src.root.name === "gcodes") await this.metadataStore.forgetTree(src.rel);
    await rename(src.abs, dest.abs).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== "EXDEV") throw err;
      await cp(src.abs, dest.abs, { recursive: true });
      await rm(src.abs, { recursive: true });
    });
    return this.changed(st.isDirectory() ? "move_dir" : "move_file", dest, src);
  }

  /** server.files.copy: files via a temp copy and rename (never a half-written destination). */
  async copy(source: string, destPath: string): Promise<FileChange> {
    const src = this.locate(source);
    const st = await stat(src.abs).catch(() => null);
    if (!st) throw new ApiError(`File or directory does not exist (${source})`, 404);
    const dest = await this.destination(src, destPath);
    await this.refuseInUse(dest, "overwrite");
    const existed = await stat(dest.abs).then(() => true, () => false);
    const tmp = this.tmpPath();
    try {
      await cp(src.abs, tmp, { recursive: true, filter: (p) => !p.endsWith("/.thumbs") });
      if (st.isDirectory() && existed) throw new ApiError(`Destination exists (${destPath})`, 400);
      await rename(tmp, dest.abs);
      this.index.record(dest.abs); // before any await: the watcher must find it known
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    const action = st.isDirectory() ? "create_dir" : existed ? "modify_file" : "create_file";
    return this.changed(action, dest);
  }

  /** server.files.zip: files and folders (recursive) into one archive, written beside and renamed in. */
  async zip(items: string[], destPath: string | undefined, storeOnly: boolean): Promise<{ destination: FileItem; action: "zip_files" }> {
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
    const dest = this.locate(destPath ?? `config/collection-${stamp}.zip`);
    requireWritable(dest);
    if (dest.rel === "") throw new ApiError("No archive name given", 400);
    const members: ZipMember[] = [];
    const add = async (loc: Location, abs: string, rel: string): Promise<void> => {
      const st = await this.statInside(loc.root, abs);
      if (!st) return;
      const name = rel ? `${loc.root.name}/${rel}` : loc.root.name;
      if (st.isDirectory()) {
        for (const e of await readdir(abs)) if (e !== ".thumbs") await add(loc, join(abs, e), rel ? `${rel}/${e}` : e);
      } else members.push({ name, abs, mtimeMs: st.mtimeMs, mode: st.mode });
    };
    for (const item of items) {
      const loc = this.locate(item);
      if (!(await stat(loc.abs).catch(() => null))) throw new ApiError(`File or directory does not exist (${item})`, 404);
      await add(loc, loc.abs, loc.rel);
    }
    const existed = await stat(dest.abs).then(() => true, () => false);
    const tmp = this.tmpPath();
    const fh = await open(tmp, "w");
    try {
      await writeZip(fh, members, storeOnly);
      await fh.close();
      await mkdir(dirname(dest.abs), { recursive: true });
      await rename(tmp, dest.abs);
    } finally {
      await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
    }
    const change = await this.changed(existed ? "modify_file" : "create_file", dest);
    return { destination: change.item, action: "zip_files" };
  }

  // ---- saving streams ------------------------------------------------------------------------

  private tmpPath(): string {
    return join(this.tmpDir, `${process.pid}-${Date.now()}-${++this.tmpCounter}.part`);
  }

  /** Open a temp file for an incoming stream (upload, Cura job); hashes as it writes. */
  async openTemp(maxBytes = this.maxUploadBytes): Promise<TempUpload> {
    const path = this.tmpPath();
    const fh = await open(path, "w");
    const hash = sha256();
    let size = 0;
    let closed = false;
    const close = async () => {
      if (!closed) {
        closed = true;
        await fh.close();
      }
    };
    return {
      path,
      get size() {
        return size;
      },
      async write(chunk) {
        size += chunk.byteLength;
        if (size > maxBytes) throw new ApiError(`File exceeds the upload size limit of ${maxBytes} bytes`, 413);
        hash.update(chunk);
        let off = 0;
        while (off < chunk.byteLength) off += (await fh.write(chunk, off)).bytesWritten;
      },
      async finish() {
        await fh.sync();
        await close();
        return { size, sha256: hash.digest("hex") };
      },
      async discard() {
        await close().catch(() => undefined);
        await rm(path, { force: true });
      },
    };
  }

  /**
   * Move a finished temp file into `root/rel`: checks the root is writable, the path is clean,
   * the checksum matches and the target is not being printed; parent folders are created.
   */
  async commitTemp(temp: TempUpload, sum: { size: number; sha256: string }, rootName: string, rel: string, opts: SaveOptions = {}): Promise<SaveResult> {
    const loc = this.locateIn(rootName, rel);
    requireWritable(loc);
    if (loc.rel === "") throw new ApiError("No file name given", 400);
    if (opts.checksum !== undefined && opts.checksum.toLowerCase() !== sum.sha256) {
      throw new ApiError(`File checksum mismatch: expected ${opts.checksum}, calculated ${sum.sha256}`, 422);
    }
    const existing = await stat(loc.abs).catch(() => null);
    if (existing?.isDirectory()) throw new ApiError(`A directory exists at '${rootName}/${loc.rel}'`, 400);
    await this.refuseInUse(loc, "overwrite");
    const newDirs = await this.missingParents(loc);
    await mkdir(dirname(loc.abs), { recursive: true });
    resolveIn(loc.root, loc.rel); // the folders just made must not have raced a symlink in
    if (loc.root.name === "gcodes") await this.metadataStore.forget(loc.rel);
    await rename(temp.path, loc.abs);
    for (const dir of newDirs) await this.changed("create_dir", dir);
    const change = await this.changed(existing ? "modify_file" : "create_file", loc);
    if (loc.root.name === "gcodes" && isGcodeName(loc.rel)) {
      await this.metadataStore.get(loc.rel).catch((err: Error) => this.opts.log.warn(`files: metadata of ${loc.rel}: ${err.message}`));
    }
    return { item: change.item, action: "create_file" };
  }

  /** Save a stream as `root/rel` atomically (temp file + rename); used by Cura and tests. */
  async saveStream(rootName: string, rel: string, stream: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, opts: SaveOptions = {}): Promise<SaveResult> {
    this.locateIn(rootName, rel); // refuse a bad path before reading anything
    const temp = await this.openTemp(opts.maxBytes);
    try {
      for await (const chunk of stream) await temp.write(chunk);
      const sum = await temp.finish();
      return await this.commitTemp(temp, sum, rootName, rel, opts);
    } finally {
      await temp.discard();
    }
  }

  /** Folders above `loc` that do not exist yet, outermost first. */
  private async missingParents(loc: Location): Promise<Location[]> {
    const parts = loc.rel.split("/").slice(0, -1);
    const out: Location[] = [];
    for (let i = 1; i <= parts.length; i++) {
      const dir = resolveIn(loc.root, parts.slice(0, i).join("/"));
      if (out.length || !(await stat(dir.abs).catch(() => null))) out.push(dir);
    }
    return out;
  }
}
