// Uploads over real HTTP: Moonraker's response shape and Location header, root/path/checksum/print
// fields, concurrent uploads, and every refusal (cut-off body, traversal, symlink out of the root,
// oversize, bad multipart, read-only root, the file being printed) leaving nothing written.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { FilesRig, uploadForm } from "./support.ts";
import { curaGcode } from "./slicer-samples.ts";
import { TempDir } from "../../support/temp-dir.ts";

let rig: FilesRig;
const LIMIT = 256 * 1024;
beforeAll(async () => {
  rig = await FilesRig.start({ maxUploadBytes: LIMIT });
});
afterAll(() => rig.close());

function upload(form: FormData, path = "/server/files/upload") {
  return fetch(new URL(path, rig.base), { method: "POST", body: form });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = (res: Response): Promise<any> => res.json();

/** Every file under the data folder (roots and the temp folder), for "nothing written" checks. */
function allFiles(dir = rig.dir.path, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(`${rel}/`, ...allFiles(join(dir, e.name), rel));
    else out.push(rel);
  }
  return out.sort();
}

describe("upload", () => {
  test("201, Location header, Moonraker's body, the file on disk, and notify_filelist_changed", async () => {
    const text = curaGcode(2);
    const res = await upload(uploadForm("benchy.gcode", text));
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`${rig.base}/server/files/gcodes/benchy.gcode`);
    const body = await json(res);
    expect(Object.keys(body)).toEqual(["item", "print_started", "print_queued", "action"]);
    expect(body).toMatchObject({
      item: { path: "benchy.gcode", root: "gcodes", size: Buffer.byteLength(text), permissions: "rw" },
      print_started: false,
      print_queued: false,
      action: "create_file",
    });
    expect(readFileSync(join(rig.dir.path, "gcodes/benchy.gcode"), "utf8")).toBe(text);
    const change = await rig.waitForChange((c) => c.item.path === "benchy.gcode");
    expect(change).toMatchObject({ action: "create_file", item: { root: "gcodes", size: Buffer.byteLength(text) } });
  });

  test("root=config with path= (fields after the file) creates folders; no print fields for config", async () => {
    const res = await upload(uploadForm("macros.cfg", "[gcode_macro HELLO]\ngcode: RESPOND MSG=hi\n", { root: "config", path: "extra/macros" }));
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body).toEqual({ item: expect.objectContaining({ root: "config", path: "extra/macros/macros.cfg" }), action: "create_file" });
    expect(existsSync(join(rig.dir.path, "config/extra/macros/macros.cfg"))).toBe(true);
    await rig.waitForChange((c) => c.action === "create_dir" && c.item.path === "extra");
  });

  test("checksum: a matching SHA-256 is accepted, a wrong one is 422 and nothing is kept", async () => {
    const text = "G28\nG1 X10\n";
    const good = createHash("sha256").update(text).digest("hex");
    expect((await upload(uploadForm("sum.gcode", text, { checksum: good }))).status).toBe(201);
    const before = allFiles();
    const res = await upload(uploadForm("sum-bad.gcode", text, { checksum: "0".repeat(64) }));
    expect(res.status).toBe(422);
    expect((await json(res)).error.message).toContain("checksum");
    expect(allFiles()).toEqual(before);
  });

  test("print=true starts the print through the Host and answers print_started", async () => {
    const res = await upload(uploadForm("go/print me.gcode", "G28\n", { print: "true" }));
    expect(res.status).toBe(201);
    expect(await json(res)).toMatchObject({ item: { path: "go/print me.gcode" }, print_started: true });
    expect(rig.host.scripts.at(-1)).toBe('SDCARD_PRINT_FILE FILENAME="go/print me.gcode"');
    // while it prints: overwriting or deleting that file is refused, another upload with print=true does not start
    const busy = await upload(uploadForm("go/print me.gcode", "G28\nG28\n"));
    expect(busy.status).toBe(403);
    expect(readFileSync(join(rig.dir.path, "gcodes/go/print me.gcode"), "utf8")).toBe("G28\n");
    const second = await upload(uploadForm("other.gcode", "G28\n", { print: "true" }));
    expect(await second.json()).toMatchObject({ print_started: false, print_queued: false });
    const del = await fetch(new URL("/server/files/gcodes/go/print%20me.gcode", rig.base), { method: "DELETE" });
    expect(del.status).toBe(403);
    rig.host.printStats = { state: "complete", filename: "go/print me.gcode" };
  });

  test("concurrent uploads all land intact", async () => {
    const bodies = Array.from({ length: 8 }, (_, i) => `; upload ${i}\n` + `G1 X${i} Y${i}\n`.repeat(2000 + i * 100));
    const results = await Promise.all(bodies.map((b, i) => upload(uploadForm(`many/part-${i}.gcode`, b))));
    expect(results.map((r) => r.status)).toEqual(bodies.map(() => 201));
    bodies.forEach((b, i) => expect(readFileSync(join(rig.dir.path, `gcodes/many/part-${i}.gcode`), "utf8")).toBe(b));
    expect(readdirSync(join(rig.dir.path, ".upload-tmp"))).toEqual([]);
  });

  test("an upload cut off mid-way leaves no partial file", async () => {
    const before = allFiles();
    const boundary = "----cutoff";
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.gcode"\r\n\r\n`;
    const declared = head.length + 100_000 + 40;
    const sock = connect(rig.server.port, "127.0.0.1");
    await new Promise<void>((r) => sock.once("connect", () => r()));
    sock.write(
      `POST /server/files/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${declared}\r\n\r\n` +
        head +
        "G1 X1\n".repeat(5000),
    );
    // wait until the server has the temp file open, then drop the connection
    for (let i = 0; i < 400 && readdirSync(join(rig.dir.path, ".upload-tmp")).length === 0; i++) await Bun.sleep(5);
    expect(readdirSync(join(rig.dir.path, ".upload-tmp"))).toHaveLength(1); // the upload was under way
    sock.destroy();
    for (let i = 0; i < 400 && readdirSync(join(rig.dir.path, ".upload-tmp")).length > 0; i++) await Bun.sleep(5);
    expect(existsSync(join(rig.dir.path, "gcodes/cut.gcode"))).toBe(false);
    expect(allFiles()).toEqual(before);
  });

  test("a body that ends before the closing boundary is 400 and writes nothing", async () => {
    const before = allFiles();
    const boundary = "xyz";
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="short.gcode"\r\n\r\nG28\nG1 X1\n`;
    const res = await fetch(new URL("/server/files/upload", rig.base), {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      body,
    });
    expect(res.status).toBe(400);
    expect((await json(res)).error.message).toContain("closing boundary");
    expect(allFiles()).toEqual(before);
  });

  test("path traversal and bad names are refused with 4xx and nothing written", async () => {
    const before = allFiles();
    const cases: [string, Record<string, string>][] = [
      ["../evil.gcode", {}],
      ["evil.gcode", { path: "../../outside" }],
      ["a/../../evil.gcode", {}],
      ["evil.gcode", { root: "nope" }],
      ["bad\u0001name.gcode", {}],
      [`${"x".repeat(300)}.gcode`, {}],
      ["evil.gcode", { path: "..", root: "config" }],
    ];
    for (const [name, fields] of cases) {
      const res = await upload(uploadForm(name, "G28\n", fields, false));
      expect([400, 403]).toContain(res.status);
      expect((await json(res)).error.code).toBe(res.status);
    }
    expect(allFiles()).toEqual(before);
  });

  test("a symlink leading out of the root is refused and nothing lands outside", async () => {
    const outside = new TempDir("stepline-outside-");
    try {
      symlinkSync(outside.path, join(rig.dir.path, "gcodes/escape"));
      const res = await upload(uploadForm("x.gcode", "G28\n", { path: "escape" }));
      expect(res.status).toBe(403);
      expect(readdirSync(outside.path)).toEqual([]);
      // nor can it be read or listed through the link
      outside.write("secret.txt", "secret");
      expect((await fetch(new URL("/server/files/gcodes/escape/secret.txt", rig.base))).status).toBe(403);
      const dir = await rig.http("GET", "/server/files/directory", { path: "gcodes" });
      expect(dir.body.result.dirs.map((d: { dirname: string }) => d.dirname)).not.toContain("escape");
    } finally {
      outside.remove();
    }
  });

  test("oversize uploads are 413 (declared or streamed) with nothing written", async () => {
    const before = allFiles();
    const big = new Uint8Array(LIMIT + 1).fill(0x47);
    const res = await upload(uploadForm("big.gcode", big));
    expect(res.status).toBe(413);
    // chunked (no Content-Length): the limit is enforced while streaming
    const boundary = "chunky";
    const parts = [
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big2.gcode"\r\n\r\n`,
      ...Array.from({ length: 8 }, () => "G".repeat(64 * 1024)),
      `\r\n--${boundary}--\r\n`,
    ];
    const stream = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        const next = parts.shift();
        if (next === undefined) ctrl.close();
        else ctrl.enqueue(new TextEncoder().encode(next));
      },
    });
    const res2 = await fetch(new URL("/server/files/upload", rig.base), {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(res2.status).toBe(413);
    expect(allFiles()).toEqual(before);
  });

  test("bad multipart: not multipart, no boundary, no file part, garbage — 400 each", async () => {
    const before = allFiles();
    const post = (headers: Record<string, string>, body: string) => fetch(new URL("/server/files/upload", rig.base), { method: "POST", headers, body });
    const results = await Promise.all([
      post({ "content-type": "application/json" }, "{}"),
      post({ "content-type": "multipart/form-data" }, "x"),
      post({ "content-type": "multipart/form-data; boundary=b" }, `--b\r\nContent-Disposition: form-data; name="root"\r\n\r\ngcodes\r\n--b--\r\n`),
      post({ "content-type": "multipart/form-data; boundary=b" }, "no boundary anywhere in here"),
      post({ "content-type": "multipart/form-data; boundary=b" }, `--b\r\nX-Nothing: 1\r\n\r\nzz\r\n--b--\r\n`),
    ]);
    for (const r of results) {
      expect(r.status).toBe(400);
      expect((await json(r)).error.code).toBe(400);
    }
    expect(allFiles()).toEqual(before);
  });

  test("the read-only logs root refuses uploads", async () => {
    const res = await upload(uploadForm("x.log", "hi", { root: "logs" }));
    expect(res.status).toBe(403);
    expect(existsSync(join(rig.dir.path, "logs/x.log"))).toBe(false);
  });

  test("saveStream (the in-process API the Cura door uses) saves atomically and announces", async () => {
    mkdirSync(join(rig.dir.path, "gcodes/cura"), { recursive: true });
    const chunks = ["G28\n", "G1 X5\n"].map((s) => new TextEncoder().encode(s));
    const saved = await rig.fm.saveStream("gcodes", "cura/job.gcode", chunks, { checksum: createHash("sha256").update("G28\nG1 X5\n").digest("hex") });
    expect(saved.item).toMatchObject({ root: "gcodes", path: "cura/job.gcode", size: 10 });
    expect(readFileSync(join(rig.dir.path, "gcodes/cura/job.gcode"), "utf8")).toBe("G28\nG1 X5\n");
    await rig.waitForChange((c) => c.item.path === "cura/job.gcode" && c.action === "create_file");
    await expect(rig.fm.saveStream("gcodes", "../x.gcode", chunks)).rejects.toMatchObject({ status: 400 });
  });
});
