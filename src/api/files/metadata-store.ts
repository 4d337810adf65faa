// Metadata for G-code files in the gcodes root: read only the head and tail of a file (fast on
// big files), parse the slicer comments, write thumbnails to `.thumbs/` next to the file, and keep
// the result in memory until the file's size or modification time changes.
import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { parseGcode, type HeadTail, type SlicerFields } from "./gcode-metadata.ts";

/** Moonraker's Thumbnail Info: relative_path is relative to the G-code file's folder. */
export interface ThumbnailInfo {
  width: number;
  height: number;
  size: number;
  relative_path: string;
}

/** What server.files.metadata answers. */
export type GcodeMetadata = SlicerFields & {
  size: number;
  modified: number;
  uuid: string;
  file_processors: string[];
  thumbnails?: ThumbnailInfo[];
  print_start_time: number | null;
  job_id: string | null;
  /** Path relative to the gcodes root. */
  filename: string;
};

/** Bytes read from each end of a file (Moonraker reads 1 MiB each end as well). */
export const READ_SIZE = 1024 * 1024;

async function readHeadTail(abs: string, size: number): Promise<HeadTail> {
  const file = Bun.file(abs);
  if (size <= 2 * READ_SIZE) {
    const all = Buffer.from(await file.arrayBuffer()).toString("latin1");
    return { head: all, tail: all, tailOffset: 0, size };
  }
  const head = Buffer.from(await file.slice(0, READ_SIZE).arrayBuffer()).toString("latin1");
  const tail = Buffer.from(await file.slice(size - READ_SIZE, size).arrayBuffer()).toString("latin1");
  return { head, tail, tailOffset: size - READ_SIZE, size };
}

interface CacheEntry {
  size: number;
  mtimeMs: number;
  meta: GcodeMetadata;
}

export class MetadataStore {
  private readonly cache = new Map<string, CacheEntry>();
  /** One parse per file at a time (Mainsail asks for every file at connect, in one batch). */
  private readonly inflight = new Map<string, Promise<GcodeMetadata>>();

  constructor(
    private readonly gcodesPath: string,
    private readonly log: { warn(msg: string): void },
  ) {}

  /** Metadata of `rel` (relative to the gcodes root); parsed again when the file changed or `force`. */
  async get(rel: string, force = false): Promise<GcodeMetadata> {
    const abs = join(this.gcodesPath, rel);
    const st = await stat(abs);
    const hit = this.cache.get(rel);
    if (!force && hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.meta;
    const running = this.inflight.get(rel);
    if (running && !force) return running;
    const p = this.parse(rel, abs, st.size, st.mtimeMs).finally(() => this.inflight.delete(rel));
    this.inflight.set(rel, p);
    return p;
  }

  /** The cached metadata if still current, without touching the disk (for extended listings). */
  peek(rel: string): GcodeMetadata | undefined {
    return this.cache.get(rel)?.meta;
  }

  /** Forget a file (deleted or moved) and remove its thumbnails. */
  async forget(rel: string): Promise<void> {
    const hit = this.cache.get(rel);
    this.cache.delete(rel);
    for (const t of hit?.meta.thumbnails ?? []) {
      await rm(join(this.gcodesPath, dirname(rel), t.relative_path), { force: true });
    }
  }

  /** Forget everything under a folder (deleted or moved). */
  async forgetTree(relDir: string): Promise<void> {
    const prefix = relDir === "" ? "" : `${relDir}/`;
    for (const key of [...this.cache.keys()]) if (key.startsWith(prefix)) await this.forget(key);
  }

  private async parse(rel: string, abs: string, size: number, mtimeMs: number): Promise<GcodeMetadata> {
    const ht = await readHeadTail(abs, size);
    const parsed = parseGcode(ht);
    const thumbs: ThumbnailInfo[] = [];
    if (parsed.thumbnails.length) {
      const thumbDir = join(dirname(abs), ".thumbs");
      const base = basename(rel, extname(rel));
      try {
        await mkdir(thumbDir, { recursive: true });
        for (const t of parsed.thumbnails) {
          const name = `${base}-${t.width}x${t.height}.${t.format}`;
          await writeFile(join(thumbDir, name), t.data);
          thumbs.push({ width: t.width, height: t.height, size: t.data.length, relative_path: `.thumbs/${name}` });
        }
      } catch (err) {
        this.log.warn(`metadata: cannot write thumbnails of ${rel}: ${(err as Error).message}`);
      }
    }
    const meta: GcodeMetadata = {
      size,
      modified: mtimeMs / 1000,
      uuid: crypto.randomUUID(),
      file_processors: [],
      ...parsed.fields,
      ...(thumbs.length ? { thumbnails: thumbs } : {}),
      print_start_time: this.cache.get(rel)?.meta.print_start_time ?? null,
      job_id: this.cache.get(rel)?.meta.job_id ?? null,
      filename: rel,
    };
    this.cache.set(rel, { size, mtimeMs, meta });
    return meta;
  }
}
