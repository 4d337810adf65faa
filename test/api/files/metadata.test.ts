// G-code metadata and thumbnails for Cura, PrusaSlicer and OrcaSlicer files, through the file
// manager on real files: the fields Mainsail/Fluidd show, thumbnails written to .thumbs/ as the
// exact PNGs from the file, byte offsets of the G-code, and big files read only at head and tail.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FilesRig } from "./support.ts";
import { curaGcode, curaThumb, orcaGcode, orcaThumb, prusaGcode, prusaThumbs } from "./slicer-samples.ts";
import { READ_SIZE } from "../../../src/api/files/metadata-store.ts";

let rig: FilesRig;
beforeAll(async () => {
  rig = await FilesRig.start({ watch: false });
});
afterAll(() => rig.close());

function put(rel: string, text: string): string {
  return rig.dir.write(join("gcodes", rel), text);
}

/** Where the first and after the last G-code line are, computed independently of the parser. */
function gcodeBounds(text: string): { start: number; end: number } {
  const lines = text.split("\n");
  let off = 0;
  let start = -1;
  let end = -1;
  for (const line of lines) {
    if (/^[MG]\d+\s/.test(line)) {
      if (start < 0) start = off - 1; // Moonraker counts from the newline before the line
      end = off + line.length + 1;
    }
    off += line.length + 1;
  }
  return { start, end };
}

describe("slicer metadata", () => {
  test("Cura 5: time, filament, layer heights, object height, first-layer temps, thumbnail", async () => {
    const text = curaGcode();
    put("cura/benchy.gcode", text);
    const meta = await rig.fm.metadata("cura/benchy.gcode");
    expect(meta).toMatchObject({
      filename: "cura/benchy.gcode",
      size: Buffer.byteLength(text),
      slicer: "Cura",
      slicer_version: "5.7.1",
      estimated_time: 6082,
      filament_total: 3078.61,
      layer_height: 0.2,
      first_layer_height: 0.2,
      object_height: 48,
      first_layer_extr_temp: 200,
      first_layer_bed_temp: 60,
      layer_count: 240,
      print_start_time: null,
      job_id: null,
      file_processors: [],
    });
    expect(meta.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(meta.thumbnails).toEqual([{ width: 300, height: 300, size: curaThumb.length, relative_path: ".thumbs/benchy-300x300.png" }]);
    expect(readFileSync(join(rig.dir.path, "gcodes/cura/.thumbs/benchy-300x300.png")).equals(curaThumb)).toBe(true);
    const b = gcodeBounds(text);
    expect(meta.gcode_start_byte).toBe(b.start);
    expect(meta.gcode_end_byte).toBe(b.end);
  });

  test("PrusaSlicer 2.7: footer config block, BEFORE_LAYER_CHANGE heights, two thumbnails", async () => {
    put("prusa.gcode", prusaGcode());
    const meta = await rig.fm.metadata("prusa.gcode");
    expect(meta).toMatchObject({
      slicer: "PrusaSlicer",
      slicer_version: "2.7.1+win64",
      estimated_time: 5947,
      filament_total: 9159.55,
      filament_weight_total: 27.32,
      layer_height: 0.2,
      first_layer_height: 0.2,
      object_height: 8,
      first_layer_extr_temp: 215,
      first_layer_bed_temp: 60,
      nozzle_diameter: 0.4,
      filament_type: "PLA",
      filament_name: "Generic PLA Brown",
    });
    expect(meta.thumbnails?.map((t) => [t.width, t.height, t.size, t.relative_path])).toEqual([
      [16, 16, prusaThumbs[0]!.length, ".thumbs/prusa-16x16.png"],
      [220, 124, prusaThumbs[1]!.length, ".thumbs/prusa-220x124.png"],
    ]);
    expect(readFileSync(join(rig.dir.path, "gcodes/.thumbs/prusa-220x124.png")).equals(prusaThumbs[1]!)).toBe(true);
    // thumbnails endpoint: paths relative to the gcodes root
    expect((await rig.http("GET", "/server/files/thumbnails", { filename: "prusa.gcode" })).body.result).toEqual([
      { width: 16, height: 16, size: prusaThumbs[0]!.length, thumbnail_path: ".thumbs/prusa-16x16.png" },
      { width: 220, height: 124, size: prusaThumbs[1]!.length, thumbnail_path: ".thumbs/prusa-220x124.png" },
    ]);
  });

  test("OrcaSlicer 2.1: header block height, plate-specific bed temperature, initial layer keys", async () => {
    put("orca/part.gcode", orcaGcode());
    const meta = await rig.fm.metadata("orca/part.gcode");
    expect(meta).toMatchObject({
      slicer: "OrcaSlicer",
      slicer_version: "2.1.1",
      estimated_time: 2537,
      filament_total: 2315.23,
      filament_weight_total: 6.9,
      layer_height: 0.2,
      first_layer_height: 0.25,
      object_height: 12,
      first_layer_extr_temp: 220,
      first_layer_bed_temp: 65,
      filament_name: "Generic PLA @System",
      layer_count: 60,
    });
    expect(meta.thumbnails).toEqual([{ width: 300, height: 300, size: orcaThumb.length, relative_path: ".thumbs/part-300x300.png" }]);
    expect(readFileSync(join(rig.dir.path, "gcodes/orca/.thumbs/part-300x300.png")).equals(orcaThumb)).toBe(true);
  });

  test("a big file is parsed from its head and tail: footer values and the end byte are right", async () => {
    const text = prusaGcode(4000); // ~5 MB, far more than head + tail
    expect(text.length).toBeGreaterThan(3 * READ_SIZE);
    put("big.gcode", text);
    const meta = await rig.fm.metadata("big.gcode");
    expect(meta.size).toBe(text.length);
    expect(meta.estimated_time).toBe(5947);
    expect(meta.first_layer_extr_temp).toBe(215);
    expect(meta.thumbnails?.length).toBe(2);
    const b = gcodeBounds(text);
    expect(meta.gcode_start_byte).toBe(b.start);
    expect(meta.gcode_end_byte).toBe(b.end);
  });

  test("cached until the file changes; metascan forces a new parse", async () => {
    put("cache.gcode", curaGcode());
    const a = await rig.fm.metadata("cache.gcode");
    const b = await rig.fm.metadata("cache.gcode");
    expect(b.uuid).toBe(a.uuid);
    const forced = await rig.rpc("server.files.metascan", { filename: "cache.gcode" });
    expect(forced.result.uuid).not.toBe(a.uuid);
    writeFileSync(join(rig.dir.path, "gcodes/cache.gcode"), prusaGcode());
    const c = await rig.fm.metadata("cache.gcode");
    expect(c.slicer).toBe("PrusaSlicer");
  });

  test("unknown slicer: what plain G-code tells, and a corrupt thumbnail is skipped", async () => {
    const text = ["; my own generator", "; thumbnail begin 10x10 400", "; AAAA", "; thumbnail end", "M190 S55", "M109 S205", "G1 Z0.3 F300", "G1 X1 Y1", "G1 Z5.5 F300", ""].join("\n");
    put("plain.gcode", text);
    const meta = await rig.fm.metadata("plain.gcode");
    expect(meta).toMatchObject({ slicer: "Unknown", first_layer_bed_temp: 55, first_layer_extr_temp: 205, first_layer_height: 0.3, object_height: 5.5 });
    expect(meta.thumbnails).toBeUndefined();
  });

  test("missing file is a 404 over HTTP and -32601 over JSON-RPC (Moonraker's remapping)", async () => {
    const res = await rig.http("GET", "/server/files/metadata", { filename: "nope.gcode" });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe(404);
    expect((await rig.rpc("server.files.metadata", { filename: "nope.gcode" })).error?.code).toBe(-32601);
  });

  test("get_directory extended carries the metadata with the bare file name", async () => {
    const dir = (await rig.http("GET", "/server/files/directory", { path: "gcodes/orca", extended: "true" })).body.result as {
      files: Record<string, unknown>[];
      dirs: { dirname: string }[];
    };
    expect(dir.dirs).toEqual([]); // .thumbs is not listed
    expect(dir.files).toHaveLength(1);
    expect(dir.files[0]).toMatchObject({ filename: "part.gcode", slicer: "OrcaSlicer", object_height: 12, permissions: "rw" });
  });
});
