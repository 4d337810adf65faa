// Where accepted Cura jobs go: a new file in gcodes/ saved through the web API's file manager (atomic
// temp file + rename, metadata, notify_filelist_changed), so Mainsail/Fluidd see it like any upload.
import { stat } from "node:fs/promises";
import type { FileManager } from "../api/files/index.ts";

export interface GcodeStore {
  /** Store the stream as a new `<stem>.gcode` (or `<stem>-2.gcode`, …); all or nothing. Returns the name under gcodes/. */
  saveNew(stem: string, data: ReadableStream<Uint8Array>): Promise<string>;
}

export function fileManagerGcodeStore(fm: FileManager): GcodeStore {
  // Names handed to saves still running: two uploads of one name must not pick the same file.
  const reserved = new Set<string>();
  const taken = async (name: string) => reserved.has(name) || (await stat(fm.locateIn("gcodes", name).abs).catch(() => null)) !== null;
  return {
    async saveNew(stem, data) {
      let name = `${stem}.gcode`;
      for (let i = 2; await taken(name); i++) name = `${stem}-${i}.gcode`;
      reserved.add(name);
      try {
        await fm.saveStream("gcodes", name, data);
        return name;
      } finally {
        reserved.delete(name);
      }
    },
  };
}
