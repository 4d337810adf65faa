// The key-value database behind server.database.*, history, job queue and auth (Moonraker's
// database component): one JSON file per namespace in <data>/database/, written atomically
// (temp file, fsync, rename) a short while after a change, so bursts of UI settings coalesce.
import { mkdirSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { open, rename } from "node:fs/promises";
import { join } from "node:path";
import { ApiError, type ApiLog } from "../endpoint.ts";
import { isPlainObject, keySegments, keyText, type KeyPath } from "./key-path.ts";

type Tree = Record<string, unknown>;

/** Namespace names become file names: letters, digits, "_", "-", "." (not leading), at most 64. */
const NAMESPACE = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/;
const SUFFIX = ".json";
const RETRY_MS = 5_000;

export interface DatabaseOptions {
  /** Delay between a change and its write (ms); 0 writes on the next tick. */
  writeDelayMs?: number;
}

export class Database {
  private readonly trees = new Map<string, Tree>();
  private readonly dirty = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private writing: Promise<void> = Promise.resolve();
  private readonly writeDelayMs: number;

  private constructor(
    readonly dir: string,
    private readonly log: ApiLog,
    opts: DatabaseOptions,
  ) {
    this.writeDelayMs = opts.writeDelayMs ?? 250;
  }

  /** Load every namespace file of `dir` (created if missing); a corrupt file is kept as .bad and skipped. */
  static open(dir: string, log: ApiLog, opts: DatabaseOptions = {}): Database {
    mkdirSync(dir, { recursive: true });
    const db = new Database(dir, log, opts);
    for (const file of readdirSync(dir)) {
      if (!file.endsWith(SUFFIX)) continue;
      const ns = file.slice(0, -SUFFIX.length);
      if (!NAMESPACE.test(ns)) continue;
      const path = join(dir, file);
      try {
        const tree: unknown = JSON.parse(readFileSync(path, "utf8"));
        if (!isPlainObject(tree)) throw new Error("top level is not an object");
        db.trees.set(ns, tree);
      } catch (e) {
        const bad = `${path}.bad`;
        renameSync(path, bad);
        log.error(`database: namespace '${ns}' unreadable (${(e as Error).message}); kept as ${bad}, starting it empty`);
      }
    }
    return db;
  }

  namespaces(): string[] {
    return [...this.trees.keys()].sort();
  }

  hasNamespace(ns: string): boolean {
    return this.trees.has(ns);
  }

  /** The whole namespace (no key) or the value at `key`; 404 when either is missing. */
  get(ns: string, key?: KeyPath | null): unknown {
    const tree = this.trees.get(ns);
    if (!tree) throw new ApiError(`Namespace '${ns}' not found`, 404);
    if (key === undefined || key === null) return tree;
    let node: unknown = tree;
    for (const seg of keySegments(key)) {
      if (!isPlainObject(node) || !Object.hasOwn(node, seg)) throw new ApiError(`Key '${keyText(key)}' in namespace '${ns}' not found`, 404);
      node = node[seg];
    }
    return node;
  }

  /** The value at `key`, or `fallback` when the namespace or key does not exist. */
  getOr(ns: string, key: KeyPath, fallback: unknown): unknown {
    try {
      return this.get(ns, key);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return fallback;
      throw e;
    }
  }

  /** Set `key` (creating the namespace and intermediate objects; a non-object in the way is replaced). */
  set(ns: string, key: KeyPath, value: unknown): void {
    checkNamespace(ns);
    if (value === undefined) throw new ApiError("Database value missing", 400);
    const segs = keySegments(key);
    let tree = this.trees.get(ns);
    if (!tree) this.trees.set(ns, (tree = {}));
    let node: Tree = tree;
    for (const seg of segs.slice(0, -1)) {
      const next = node[seg];
      node = isPlainObject(next) ? next : (node[seg] = {});
    }
    node[segs[segs.length - 1]!] = value;
    this.markDirty(ns);
  }

  /** Remove `key` and return what it held; 404 when missing. */
  delete(ns: string, key: KeyPath): unknown {
    const segs = keySegments(key);
    const parentKey = segs.slice(0, -1);
    const parent = parentKey.length === 0 ? this.get(ns) : this.get(ns, parentKey);
    const last = segs[segs.length - 1]!;
    if (!isPlainObject(parent) || !Object.hasOwn(parent, last)) throw new ApiError(`Key '${keyText(key)}' in namespace '${ns}' not found`, 404);
    const value = parent[last];
    delete parent[last];
    this.markDirty(ns);
    return value;
  }

  /** Write every changed namespace now; resolves when they are on disk. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const names = [...this.dirty];
    this.dirty.clear();
    // Writes are chained so two flushes of one namespace never race on its temp file; a failed
    // write (disk full) keeps the namespace dirty for the next flush and rejects this one
    const run = this.writing.then(async () => {
      const results = await Promise.allSettled(names.map((ns) => this.writeNamespace(ns)));
      const failed = names.filter((_, i) => results[i]!.status === "rejected");
      if (failed.length === 0) return;
      for (const ns of failed) this.dirty.add(ns);
      throw new Error(`database: writing ${failed.join(", ")} failed: ${(results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason}`);
    });
    this.writing = run.catch(() => undefined);
    return run;
  }

  close(): Promise<void> {
    return this.flush();
  }

  private markDirty(ns: string): void {
    this.dirty.add(ns);
    this.schedule(this.writeDelayMs);
  }

  private schedule(delayMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush().catch((e) => {
        this.log.error(`${(e as Error).message}; retrying in ${RETRY_MS / 1000} s`);
        this.schedule(RETRY_MS);
      });
    }, delayMs);
  }

  private async writeNamespace(ns: string): Promise<void> {
    const tree = this.trees.get(ns);
    if (!tree) return;
    const path = join(this.dir, ns + SUFFIX);
    const tmp = `${path}.tmp`;
    const fh = await open(tmp, "w");
    try {
      await fh.writeFile(JSON.stringify(tree));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  }
}

function checkNamespace(ns: string): void {
  if (!NAMESPACE.test(ns)) throw new ApiError(`Invalid namespace '${ns}': letters, digits, '_', '-' and '.' only (at most 64)`, 400);
}

