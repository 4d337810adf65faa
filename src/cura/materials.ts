// Material profiles Cura syncs to the printer: we keep each profile's GUID and version (in the data
// folder) so /materials lists them and the next connect sends nothing new.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";

export interface ClusterMaterial {
  guid: string;
  version: number;
}

export interface MaterialStore {
  list(): ClusterMaterial[];
  /** Record a .xml.fdm_material profile; false if it names no GUID and version. */
  add(xml: string): Promise<boolean>;
}

const Stored = v.array(v.object({ guid: v.pipe(v.string(), v.minLength(1)), version: v.pipe(v.number(), v.integer(), v.minValue(1)) }));

export function materialStore(dataDir: string): MaterialStore {
  const dir = join(dataDir, "database");
  const file = join(dir, "cura-materials.json");
  const byGuid = new Map<string, number>();
  try {
    const parsed = v.safeParse(Stored, JSON.parse(readFileSync(file, "utf8")));
    if (parsed.success) for (const m of parsed.output) byGuid.set(m.guid, m.version);
  } catch {
    // none stored yet
  }
  const list = () => [...byGuid].map(([guid, version]) => ({ guid, version }));
  return {
    list,
    async add(xml) {
      const guid = /<GUID>\s*([^<\s]+)\s*<\/GUID>/i.exec(xml)?.[1];
      const version = Number(/<version>\s*(\d+)\s*<\/version>/i.exec(xml)?.[1] ?? 0);
      if (!guid || !(version > 0)) return false;
      byGuid.set(guid, version);
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${file}.tmp`, JSON.stringify(list()));
      renameSync(`${file}.tmp`, file);
      return true;
    },
  };
}
