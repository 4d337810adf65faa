// Where accepted jobs go: a new file in the gcodes folder, written to a hidden temp name and linked
// into place only when complete (a failed or bad upload leaves nothing), never over an existing file.
import { randomBytes } from "node:crypto";
import { open, link, unlink } from "node:fs/promises";
import { join } from "node:path";

export interface GcodeStore {
  /** Store the stream as a new `<stem>.gcode` (or `<stem>-2.gcode`, …); all or nothing. Returns the name under gcodes/. */
  saveNew(stem: string, data: ReadableStream<Uint8Array>): Promise<string>;
  /** Remove a file this store saved (missing is fine). */
  remove(name: string): Promise<void>;
}

export function directoryGcodeStore(gcodesDir: string): GcodeStore {
  return {
    async saveNew(stem, data) {
      const tmp = join(gcodesDir, `.cura-upload-${randomBytes(6).toString("hex")}.part`);
      const fh = await open(tmp, "wx");
      try {
        for await (const chunk of data) await fh.write(chunk);
        await fh.close();
      } catch (e) {
        await fh.close().catch(() => {});
        await unlink(tmp).catch(() => {});
        throw e;
      }
      try {
        for (let i = 1; ; i++) {
          const name = i === 1 ? `${stem}.gcode` : `${stem}-${i}.gcode`;
          try {
            await link(tmp, join(gcodesDir, name)); // fails if the name exists: no overwrite race
            return name;
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EEXIST" || i > 999) throw e;
          }
        }
      } finally {
        await unlink(tmp).catch(() => {});
      }
    },
    async remove(name) {
      await unlink(join(gcodesDir, name)).catch(() => {});
    },
  };
}
