// File operations over real HTTP and JSON-RPC: roots, list, directories, move, copy, delete (and the
// refusal while a file prints), downloads with HTTP Range, and notify_filelist_changed for changes
// made outside the API (the roots are watched).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FilesRig } from "./support.ts";

let rig: FilesRig;
beforeAll(async () => {
  rig = await FilesRig.start();
});
afterAll(() => rig.close());

const g = (rel: string) => join(rig.dir.path, "gcodes", rel);

describe("listing", () => {
  test("roots, list (gcodes: G-code extensions only, recursive), directory with disk usage", async () => {
    rig.dir.write("gcodes/a.gcode", "G28\n");
    rig.dir.write("gcodes/sub/b.gcode", "G28\nG28\n");
    rig.dir.write("gcodes/notes.txt", "not gcode");
    rig.dir.write("config/printer.cfg", "[printer]\n");
    rig.dir.write("logs/klippy.log", "log line\n");
    const roots = (await rig.http("GET", "/server/files/roots")).body.result;
    expect(roots.map((r: { name: string; permissions: string }) => [r.name, r.permissions])).toEqual([
      ["gcodes", "rw"],
      ["config", "rw"],
      ["logs", "r"],
    ]);
    const list = (await rig.rpc("server.files.list", { root: "gcodes" })).result as { path: string; size: number }[];
    expect(list.map((f) => [f.path, f.size]).sort()).toEqual([
      ["a.gcode", 4],
      ["sub/b.gcode", 8],
    ]);
    const cfg = (await rig.http("GET", "/server/files/list", { root: "config" })).body.result;
    expect(cfg).toEqual([expect.objectContaining({ path: "printer.cfg", permissions: "rw" })]);
    const dir = (await rig.http("GET", "/server/files/directory", { path: "gcodes" })).body.result;
    expect(dir.dirs.map((d: { dirname: string }) => d.dirname)).toEqual(["sub"]);
    expect(dir.files.map((f: { filename: string }) => f.filename).sort()).toEqual(["a.gcode", "notes.txt"]);
    expect(dir.root_info).toEqual({ name: "gcodes", permissions: "rw" });
    expect(dir.disk_usage.total).toBeGreaterThan(0);
    expect(dir.disk_usage.free).toBeLessThanOrEqual(dir.disk_usage.total);
    expect((await rig.http("GET", "/server/files/directory", { path: "gcodes/none" })).status).toBe(404);
    expect((await rig.http("GET", "/server/files/list", { root: "nope" })).status).toBe(400);
  });
});

describe("changes", () => {
  test("post_directory / delete_directory (force) with Moonraker's answers", async () => {
    const made = await rig.http("POST", "/server/files/directory", { path: "gcodes/newdir" });
    expect(made.body.result).toMatchObject({ item: { path: "newdir", root: "gcodes", permissions: "rw" }, action: "create_dir" });
    expect((await rig.http("POST", "/server/files/directory", { path: "gcodes/newdir" })).status).toBe(400);
    expect((await rig.http("POST", "/server/files/directory", { path: "gcodes/no/parent" })).status).toBe(404);
    expect((await rig.http("POST", "/server/files/directory", { path: "logs/x" })).status).toBe(403);
    writeFileSync(g("newdir/x.gcode"), "G28\n");
    expect((await rig.http("DELETE", "/server/files/directory", { path: "gcodes/newdir" })).status).toBe(400);
    const gone = await rig.http("DELETE", "/server/files/directory", { path: "gcodes/newdir", force: true });
    expect(gone.body.result).toEqual({ item: { path: "newdir", root: "gcodes", modified: 0, size: 0, permissions: "" }, action: "delete_dir" });
    expect(existsSync(g("newdir"))).toBe(false);
    await rig.waitForChange((c) => c.action === "delete_dir" && c.item.path === "newdir");
  });

  test("move and rename, into a folder, copy (file and folder), with source_item", async () => {
    rig.dir.write("gcodes/m/one.gcode", "ONE\n");
    mkdirSync(g("target"), { recursive: true });
    const mv = (await rig.rpc("server.files.move", { source: "gcodes/m/one.gcode", dest: "gcodes/target" })).result;
    expect(mv).toMatchObject({ item: { root: "gcodes", path: "target/one.gcode", size: 4 }, source_item: { root: "gcodes", path: "m/one.gcode" }, action: "move_file" });
    const rn = (await rig.http("POST", "/server/files/move", { source: "gcodes/target/one.gcode", dest: "gcodes/target/two.gcode" })).body.result;
    expect(rn.item.path).toBe("target/two.gcode");
    const cp = (await rig.http("POST", "/server/files/copy", { source: "gcodes/target/two.gcode", dest: "gcodes/m/copy.gcode" })).body.result;
    expect(cp).toMatchObject({ item: { path: "m/copy.gcode" }, action: "create_file" });
    const over = (await rig.http("POST", "/server/files/copy", { source: "gcodes/target/two.gcode", dest: "gcodes/m/copy.gcode" })).body.result;
    expect(over.action).toBe("modify_file");
    const cpdir = (await rig.http("POST", "/server/files/copy", { source: "gcodes/m", dest: "gcodes/m2" })).body.result;
    expect(cpdir).toMatchObject({ item: { path: "m2" }, action: "create_dir" });
    expect(readFileSync(g("m2/copy.gcode"), "utf8")).toBe("ONE\n");
    const mvdir = (await rig.http("POST", "/server/files/move", { source: "gcodes/m2", dest: "config/m3" })).body.result;
    expect(mvdir).toMatchObject({ item: { root: "config", path: "m3" }, action: "move_dir" });
    expect(existsSync(join(rig.dir.path, "config/m3/copy.gcode"))).toBe(true);
    expect((await rig.http("POST", "/server/files/move", { source: "gcodes/m", dest: "gcodes/m/inner" })).status).toBe(400);
    expect((await rig.http("POST", "/server/files/move", { source: "gcodes/missing", dest: "gcodes/x" })).status).toBe(404);
    expect((await rig.http("POST", "/server/files/move", { source: "logs/klippy.log", dest: "gcodes/x" })).status).toBe(403);
    expect((await rig.http("POST", "/server/files/move", { source: "gcodes/m", dest: "../x" })).status).toBe(400);
  });

  test("delete_file (JSON-RPC and HTTP DELETE); the file being printed is refused, also via its folder", async () => {
    rig.dir.write("gcodes/del/a.gcode", "A\n");
    rig.dir.write("gcodes/del/b.gcode", "B\n");
    const rpc = (await rig.rpc("server.files.delete_file", { path: "gcodes/del/a.gcode" })).result;
    expect(rpc).toEqual({ item: { path: "del/a.gcode", root: "gcodes", modified: 0, size: 0, permissions: "" }, action: "delete_file" });
    rig.host.printStats = { state: "printing", filename: "del/b.gcode" };
    try {
      const refused = await fetch(new URL("/server/files/gcodes/del/b.gcode", rig.base), { method: "DELETE" });
      expect(refused.status).toBe(403);
      expect((await rig.http("DELETE", "/server/files/directory", { path: "gcodes/del", force: true })).status).toBe(403);
      expect((await rig.http("POST", "/server/files/move", { source: "gcodes/del/b.gcode", dest: "gcodes/b.gcode" })).status).toBe(403);
      expect(existsSync(g("del/b.gcode"))).toBe(true);
      // copying the printed file is allowed (Moonraker's rule)
      expect((await rig.http("POST", "/server/files/copy", { source: "gcodes/del/b.gcode", dest: "gcodes/b-copy.gcode" })).status).toBe(200);
    } finally {
      rig.host.printStats = { state: "standby", filename: "" };
    }
    const res = await fetch(new URL("/server/files/gcodes/del/b.gcode", rig.base), { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { result: { action: string } }).result.action).toBe("delete_file");
    expect((await fetch(new URL("/server/files/logs/klippy.log", rig.base), { method: "DELETE" })).status).toBe(403);
    expect((await fetch(new URL("/server/files/gcodes/nope.gcode", rig.base), { method: "DELETE" })).status).toBe(404);
  });

  test("changes made outside the API are announced (create, modify, move, delete; folders too)", async () => {
    writeFileSync(g("outside.gcode"), "G28\n");
    expect(await rig.waitForChange((c) => c.item.path === "outside.gcode")).toMatchObject({ action: "create_file", item: { root: "gcodes", size: 4 } });
    writeFileSync(g("outside.gcode"), "G28\nG28\n");
    expect(await rig.waitForChange((c) => c.item.path === "outside.gcode" && c.action === "modify_file")).toMatchObject({ item: { size: 8 } });
    mkdirSync(g("ext/deeper"), { recursive: true });
    writeFileSync(g("ext/deeper/f.gcode"), "G1\n");
    await rig.waitForChange((c) => c.action === "create_dir" && c.item.path === "ext");
    await rig.waitForChange((c) => c.action === "create_file" && c.item.path === "ext/deeper/f.gcode");
    renameSync(g("outside.gcode"), g("renamed.gcode"));
    await rig.waitForChange((c) => c.action === "delete_file" && c.item.path === "outside.gcode");
    await rig.waitForChange((c) => c.action === "create_file" && c.item.path === "renamed.gcode");
    rmSync(g("ext"), { recursive: true });
    await rig.waitForChange((c) => c.action === "delete_dir" && c.item.path === "ext");
    writeFileSync(join(rig.dir.path, "config/outside.cfg"), "[x]\n");
    await rig.waitForChange((c) => c.item.root === "config" && c.item.path === "outside.cfg" && c.action === "create_file");
  });

  test("an API change is announced exactly once (the watcher does not repeat it)", async () => {
    await rig.http("POST", "/server/files/directory", { path: "gcodes/once" });
    await rig.waitForChange((c) => c.action === "create_dir" && c.item.path === "once");
    // a later outside change proves the watcher ran past the API change
    writeFileSync(g("marker-once.gcode"), "x");
    await rig.waitForChange((c) => c.item.path === "marker-once.gcode");
    expect(rig.changes().filter((c) => c.item.path === "once")).toHaveLength(1);
  });
});

describe("download", () => {
  test("whole file, single ranges (206), unsatisfiable (416), JSON 404, legacy klippy.log alias", async () => {
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    writeFileSync(g("range.bin.gcode"), bytes);
    const whole = await fetch(new URL("/server/files/gcodes/range.bin.gcode", rig.base));
    expect(whole.status).toBe(200);
    expect(whole.headers.get("accept-ranges")).toBe("bytes");
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
    const cases: [string, number, number][] = [
      ["bytes=0-99", 0, 99],
      ["bytes=900-", 900, 999],
      ["bytes=-10", 990, 999],
      ["bytes=500-5000", 500, 999],
    ];
    for (const [range, a, b] of cases) {
      const res = await fetch(new URL("/server/files/gcodes/range.bin.gcode", rig.base), { headers: { range } });
      expect(res.status).toBe(206);
      expect(res.headers.get("content-range")).toBe(`bytes ${a}-${b}/1000`);
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes.subarray(a, b + 1))).toBe(true);
    }
    const bad = await fetch(new URL("/server/files/gcodes/range.bin.gcode", rig.base), { headers: { range: "bytes=1000-" } });
    expect(bad.status).toBe(416);
    expect(bad.headers.get("content-range")).toBe("bytes */1000");
    const missing = await fetch(new URL("/server/files/config/.theme/default.json", rig.base));
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: number } }).error.code).toBe(404);
    const log = await fetch(new URL("/server/files/klippy.log", rig.base));
    expect(await log.text()).toBe("log line\n");
    expect((await fetch(new URL("/server/files/gcodes/..%2F..%2Fetc%2Fpasswd", rig.base))).status).toBe(400);
    // names are decoded once: "%" and spaces survive the trip
    writeFileSync(g("100% done #1.gcode"), "G28\n");
    const odd = `/server/files/gcodes/${encodeURIComponent("100% done #1.gcode")}`;
    expect(await (await fetch(new URL(odd, rig.base))).text()).toBe("G28\n");
    expect((await fetch(new URL(odd, rig.base), { method: "DELETE" })).status).toBe(200);
    expect(existsSync(g("100% done #1.gcode"))).toBe(false);
  });
});

describe("zip", () => {
  const python = ["/usr/bin/python3", "python3"].find((p) => Bun.which(p));
  test.skipIf(!python)("server.files.zip: files and folders, deflated or stored, read back by Python's zipfile", async () => {
    rig.dir.write("gcodes/zipme/a.gcode", "G28\n".repeat(1000));
    rig.dir.write("gcodes/zipme/deep/b.gcode", "ünïcode ; name\n");
    rig.dir.write("config/zip.cfg", "[printer]\nkinematics: cartesian\n");
    for (const storeOnly of [false, true]) {
      const dest = `config/out-${storeOnly}.zip`;
      const res = await rig.http("POST", "/server/files/zip", { items: ["gcodes/zipme", "config/zip.cfg"], dest, store_only: storeOnly });
      expect(res.status).toBe(200);
      expect(res.body.result).toMatchObject({ destination: { root: "config", path: `out-${storeOnly}.zip` }, action: "zip_files" });
      const check = Bun.spawnSync([
        python!,
        "-c",
        "import sys, zipfile, json\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(json.dumps({i.filename: [z.read(i).decode(), i.compress_type] for i in z.infolist()}))",
        join(rig.dir.path, dest),
      ]);
      expect(check.stderr.toString()).toBe("");
      const method = storeOnly ? 0 : 8;
      expect(JSON.parse(check.stdout.toString())).toEqual({
        "gcodes/zipme/a.gcode": ["G28\n".repeat(1000), method],
        "gcodes/zipme/deep/b.gcode": ["ünïcode ; name\n", method],
        "config/zip.cfg": ["[printer]\nkinematics: cartesian\n", method],
      });
      await rig.waitForChange((c) => c.item.path === `out-${storeOnly}.zip` && c.action === "create_file");
    }
    expect((await rig.http("POST", "/server/files/zip", { items: ["gcodes/none"], dest: "config/x.zip" })).status).toBe(404);
    expect((await rig.http("POST", "/server/files/zip", { items: ["config/zip.cfg"], dest: "logs/x.zip" })).status).toBe(403);
    expect(existsSync(join(rig.dir.path, "config/x.zip"))).toBe(false);
  });
});
