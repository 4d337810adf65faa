// Watches the roots (fs.watch, recursive, debounced) so changes made outside the API (scp, a shell,
// Klipper writing its log) also reach clients as notify_filelist_changed. It keeps an index of
// known items; the file manager records its own changes in the index first, so the watcher sees
// nothing new for them and each change is announced once.
import { readdirSync, statSync, watch, type FSWatcher, type Stats } from "node:fs";
import { join } from "node:path";
import type { Root, RootName } from "./roots.ts";

export type FileAction = "create_file" | "create_dir" | "delete_file" | "delete_dir" | "move_file" | "move_dir" | "modify_file" | "root_update";

/** Moonraker's item shape in file manager answers and notifications. */
export interface FileItem {
  root: RootName;
  path: string;
  modified: number;
  size: number;
  permissions: string;
}

export interface FileChange {
  action: FileAction;
  item: FileItem;
  source_item?: { root: RootName; path: string };
}

interface Known {
  dir: boolean;
  size: number;
  mtimeMs: number;
}

/** Names the watcher and listings skip: thumbnails folders and hidden temp files of editors. */
export function isHiddenInternal(rel: string): boolean {
  return rel.split("/").some((seg) => seg === ".thumbs");
}

export class FileIndex {
  private readonly known = new Map<string, Known>();
  private readonly watchers: FSWatcher[] = [];
  private readonly pending = new Map<RootName, Set<string>>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly roots: Map<RootName, Root>,
    private readonly emit: (change: FileChange) => void,
    private readonly log: { warn(msg: string): void },
    private readonly debounceMs = 200,
  ) {
    for (const root of roots.values()) this.scan(root.path);
  }

  /** Start watching every root. */
  watch(): void {
    for (const root of this.roots.values()) {
      try {
        const w = watch(root.path, { recursive: true }, (_event, filename) => {
          if (filename) this.queue(root.name, String(filename));
        });
        w.on("error", (err) => this.log.warn(`files: watcher of ${root.name} failed: ${err.message}`));
        this.watchers.push(w);
      } catch (err) {
        this.log.warn(`files: cannot watch ${root.path}: ${(err as Error).message}`);
      }
    }
  }

  close(): void {
    for (const w of this.watchers) w.close();
    this.watchers.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Record the current state of `abs` (after the API changed it) without announcing it. */
  record(abs: string): void {
    this.forgetTree(abs);
    this.scan(abs);
  }

  /** Forget `abs` and everything under it. */
  forgetTree(abs: string): void {
    this.known.delete(abs);
    const prefix = `${abs}/`;
    for (const key of this.known.keys()) if (key.startsWith(prefix)) this.known.delete(key);
  }

  private scan(abs: string): void {
    let st: Stats;
    try {
      st = statSync(abs);
    } catch {
      return;
    }
    this.known.set(abs, { dir: st.isDirectory(), size: st.size, mtimeMs: st.mtimeMs });
    if (!st.isDirectory()) return;
    let names: string[];
    try {
      names = readdirSync(abs);
    } catch {
      return;
    }
    for (const name of names) if (name !== ".thumbs") this.scan(join(abs, name));
  }

  private queue(root: RootName, rel: string): void {
    if (isHiddenInternal(rel)) return;
    let set = this.pending.get(root);
    if (!set) this.pending.set(root, (set = new Set()));
    set.add(rel);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), this.debounceMs);
  }

  private flush(): void {
    this.timer = null;
    const batches = [...this.pending.entries()];
    this.pending.clear();
    for (const [rootName, rels] of batches) {
      const root = this.roots.get(rootName)!;
      // Parents before children, so a new folder is announced before the files in it.
      for (const rel of [...rels].sort()) this.check(root, rel);
    }
  }

  private check(root: Root, rel: string): void {
    const abs = join(root.path, rel);
    const prev = this.known.get(abs);
    let st: Stats | null = null;
    try {
      st = statSync(abs);
    } catch {
      st = null;
    }
    const item = (s: Stats | null): FileItem => ({
      root: root.name,
      path: rel,
      modified: s ? s.mtimeMs / 1000 : 0,
      size: s ? s.size : 0,
      permissions: s ? root.permissions : "",
    });
    if (!st) {
      if (!prev) return;
      this.forgetTree(abs);
      this.emit({ action: prev.dir ? "delete_dir" : "delete_file", item: item(null) });
      return;
    }
    const dir = st.isDirectory();
    if (!prev) {
      this.scan(abs);
      this.emit({ action: dir ? "create_dir" : "create_file", item: item(st) });
      if (dir) {
        // A folder moved in from outside: its contents arrive without their own events.
        for (const [k, v] of this.known) {
          if (k.startsWith(`${abs}/`) && !v.dir) {
            this.emit({ action: "create_file", item: { ...item(st), path: k.slice(root.path.length + 1), size: v.size, modified: v.mtimeMs / 1000 } });
          }
        }
      }
      return;
    }
    if (!dir && (prev.size !== st.size || prev.mtimeMs !== st.mtimeMs)) {
      this.known.set(abs, { dir, size: st.size, mtimeMs: st.mtimeMs });
      this.emit({ action: "modify_file", item: item(st) });
    }
  }
}
