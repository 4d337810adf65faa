// Cura's API on the real virtual printer: what "Add by IP" and polling read, the 5.x auth handshake,
// and jobs from upload to print — a UFP and a .gcode.gz queue, start when idle, move the steppers,
// pause/resume/abort as Cura sends them, move-to-top and delete in the queue, finished jobs listed.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync, zipSync } from "fflate";
import { loadCuraIdentity } from "../../src/cura/identity.ts";
import { type CuraFixture, curaMultipart, startCuraFixture, testGcode, waitFor } from "./fixture.ts";

setDefaultTimeout(120_000);

let f: CuraFixture;
beforeAll(async () => {
  f = await startCuraFixture();
});
afterAll(() => f.stop());

interface Job {
  uuid: string;
  name: string;
  status: string;
  time_total: number;
  time_elapsed: number;
  printer_uuid: string | null;
  created_at: string;
  started: boolean;
}
const json = { "Content-Type": "application/json" };
const get = async <T>(path: string, headers: Record<string, string> = json): Promise<T> => {
  const r = await fetch(`${f.base}${path}`, { headers });
  expect(r.status).toBe(200);
  return (await r.json()) as T;
};
const jobs = () => get<Job[]>("/cluster-api/v1/print_jobs");
const job = async (uuid: string) => (await jobs()).find((j) => j.uuid === uuid);
const jobIn = (uuid: string, status: string) => waitFor(`job ${uuid} ${status}`, async () => ((await job(uuid))?.status === status ? true : undefined));
const action = (uuid: string, a: string) => fetch(`${f.base}/cluster-api/v1/print_jobs/${uuid}/action`, { method: "PUT", headers: json, body: JSON.stringify({ action: a }) });
const printStats = async () =>
  ((await f.host.call("objects/query", { objects: { print_stats: ["state", "filename"], toolhead: ["position"] } })) as {
    status: { print_stats: { state: string; filename: string }; toolhead: { position: number[] } };
  }).status;

async function upload(filename: string, content: Uint8Array): Promise<Job> {
  const { body, contentType } = curaMultipart(filename, content, "alice");
  const r = await fetch(`${f.base}/cluster-api/v1/print_jobs/`, { method: "POST", body, headers: { "Content-Type": contentType, "User-Agent": "cura/4.13.0 " } });
  expect(r.status).toBe(201);
  return (await r.json()) as Job;
}

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4, 5]);

describe("what Cura reads before printing", () => {
  test("/api/v1/system: the keys Add-by-IP needs, a UM3 BOM and firmware ≥ 4.4", async () => {
    const s = await get<Record<string, unknown>>("/api/v1/system");
    for (const k of ["guid", "firmware", "hostname", "name", "platform", "variant", "hardware"]) expect(s).toHaveProperty(k);
    expect((s.hardware as { typeid: number }).typeid).toBe(9066);
    expect(Bun.semver.order(s.firmware as string, "4.4.0")).toBe(1);
    expect(s.guid).toBe(f.cura.identity.uuid);
  });

  test("the printer uuid is stored in the data folder; the instance name differs per data folder", () => {
    const again = loadCuraIdentity(f.tmp.path);
    expect(again.uuid).toBe(f.cura.identity.uuid);
    expect(again.instance).toBe(f.cura.identity.instance);
    expect(JSON.parse(readFileSync(join(f.tmp.path, "database", "cura.json"), "utf8")).uuid).toBe(f.cura.identity.uuid);
    const other = loadCuraIdentity(join(f.tmp.path, "elsewhere"));
    expect(other.instance).not.toBe(again.instance);
    expect(other.uuid).not.toBe(again.uuid);
  });

  test("5.x auth: /auth/request answers an id and key; signed and unsigned requests are both served", async () => {
    const r = await fetch(`${f.base}/api/v1/auth/request`, { method: "POST", headers: json, body: JSON.stringify({ application: "UltiMaker Cura", user: "user@desk" }) });
    expect(r.status).toBe(200);
    const cred = (await r.json()) as { id: string; key: string };
    expect(cred.id).toMatch(/^[0-9a-f]{32}$/);
    expect(cred.key).toMatch(/^[0-9a-f]{64}$/);
    const ha1 = new Bun.CryptoHasher("sha256").update(`${cred.id}:Jedi-API:${cred.key}`).digest("hex");
    const ha2 = new Bun.CryptoHasher("sha256").update("GET:/cluster-api/v1/printers").digest("hex");
    const nonce = "0123456789abcdef0123456789abcdef";
    const response = new Bun.CryptoHasher("sha256").update(`${ha1}:${nonce}:00000001:0123456789abcdef:auth:${ha2}`).digest("hex");
    const digest = `Digest username="${cred.id}", realm="Jedi-API", nonce="${nonce}", uri="/cluster-api/v1/printers", nc=00000001, cnonce="0123456789abcdef", qop=auth, response="${response}", algorithm="SHA-256"`;
    const signed = await get<unknown[]>("/cluster-api/v1/printers", { ...json, Authorization: digest });
    const unsigned = await get<unknown[]>("/cluster-api/v1/printers");
    expect(signed).toEqual(unsigned);
  });

  test("/printers: one idle printer with every key Cura requires, at the address it was reached on", async () => {
    const [p, ...rest] = await get<Record<string, unknown>[]>("/cluster-api/v1/printers");
    expect(rest).toHaveLength(0);
    for (const k of ["enabled", "firmware_version", "friendly_name", "ip_address", "machine_variant", "status", "unique_name", "uuid", "configuration"]) {
      expect(p).toHaveProperty(k);
    }
    expect(p!.status).toBe("idle");
    expect(p!.uuid).toBe(f.cura.identity.uuid);
    expect(p!.ip_address).toBe("127.0.0.1");
    expect((p!.configuration as { extruder_index: number; print_core_id: string }[])[0]).toMatchObject({ extruder_index: 0, print_core_id: "AA 0.4" });
    // Early 4.x polled with a trailing slash.
    expect(await get<unknown[]>("/cluster-api/v1/printers/")).toHaveLength(1);
  });

  test("materials: Cura's uploads are kept by GUID and version, so the next connect sends nothing", async () => {
    expect(await get<unknown[]>("/cluster-api/v1/materials")).toEqual([]);
    const xml = `<?xml version="1.0"?><fdmmaterial><metadata><GUID>506c9f0d-e3aa-4bd4-b2d2-23e2425b1aa9</GUID><version>42</version></metadata></fdmmaterial>`;
    const form = new FormData();
    form.append("file", new File([xml], "generic_pla.xml.fdm_material"));
    const r = await fetch(`${f.base}/cluster-api/v1/materials/`, { method: "POST", body: form });
    expect(r.status).toBe(200);
    expect(await get<unknown[]>("/cluster-api/v1/materials")).toEqual([{ guid: "506c9f0d-e3aa-4bd4-b2d2-23e2425b1aa9", version: 42 }]);
  });
});

describe("jobs from upload to print", () => {
  test("UFP prints, .gcode.gz and .gcode queue; Cura's actions drive the printer", async () => {
    const gcodeA = testGcode(150);
    const ufp = zipSync({ "/3D/model.gcode": new TextEncoder().encode(gcodeA), "/Metadata/thumbnail.png": PNG, "/[Content_Types].xml": new TextEncoder().encode("<Types/>") });
    const a = await upload("Benchy (1).ufp", ufp);
    const b = await upload("UM3_part.gcode.gz", gzipSync(new TextEncoder().encode(testGcode(3))));
    const c = await upload("third.gcode", new TextEncoder().encode(testGcode(3)));
    expect([a.name, b.name, c.name]).toEqual(["Benchy (1)", "UM3_part", "third"]);
    expect(a.time_total).toBe(150); // from ;TIME:
    // Written through the file manager into gcodes/, G-code intact, metadata read.
    expect(readFileSync(join(f.gcodesDir, "Benchy (1).gcode"), "utf8")).toBe(gcodeA);
    expect((await f.files.metadata("UM3_part.gcode")).size).toBeGreaterThan(0);

    // The UFP's thumbnail is the preview; a job without one still answers 200 with a PNG.
    const pa = await fetch(`${f.base}/cluster-api/v1/print_jobs/${a.uuid}/preview_image`);
    expect(new Uint8Array(await pa.arrayBuffer())).toEqual(PNG);
    const pc = await fetch(`${f.base}/cluster-api/v1/print_jobs/${c.uuid}/preview_image`);
    expect(pc.status).toBe(200);
    expect(pc.headers.get("content-type")).toBe("image/png");

    // A starts by itself (the printer was idle) and moves the toolhead; B and C wait.
    await jobIn(a.uuid, "printing");
    const printer = await get<{ status: string }[]>("/cluster-api/v1/printers");
    expect(printer[0]!.status).toBe("printing");
    expect((await printStats()).print_stats).toMatchObject({ state: "printing", filename: "Benchy (1).gcode" });
    const p1 = (await printStats()).toolhead.position;
    await waitFor("toolhead to move", async () => {
      const p2 = (await printStats()).toolhead.position;
      return p2[0] !== p1[0] || p2[1] !== p1[1] ? true : undefined;
    });
    await waitFor("elapsed time to advance", async () => ((await job(a.uuid))!.time_elapsed >= 1 ? true : undefined));
    expect((await job(b.uuid))!.status).toBe("queued");
    expect((await job(b.uuid))!.printer_uuid).toBeNull();
    expect((await job(a.uuid))!.printer_uuid).toBe(f.cura.identity.uuid);

    // Queue operations: C to the top, B deleted (its file stays for Mainsail).
    const mv = await fetch(`${f.base}/cluster-api/v1/print_jobs/${c.uuid}/action/move`, { method: "POST", headers: json, body: '{"to_position":0,"list":"queued"}' });
    expect(mv.status).toBe(204);
    expect((await jobs()).filter((j) => j.status === "queued").map((j) => j.uuid)).toEqual([c.uuid, b.uuid]);
    expect((await fetch(`${f.base}/cluster-api/v1/print_jobs/${b.uuid}`, { method: "DELETE", headers: json })).status).toBe(204);
    expect(await job(b.uuid)).toBeUndefined();
    // A job that is printing cannot be deleted or moved.
    expect((await fetch(`${f.base}/cluster-api/v1/print_jobs/${a.uuid}`, { method: "DELETE", headers: json })).status).toBe(409);

    // Pause and resume ("print") as Cura sends them.
    expect((await action(a.uuid, "print")).status).toBe(409); // not paused
    expect((await action(a.uuid, "pause")).status).toBe(204);
    await jobIn(a.uuid, "paused");
    expect((await printStats()).print_stats.state).toBe("paused");
    const held = (await printStats()).toolhead.position;
    await Bun.sleep(1500);
    expect((await printStats()).toolhead.position).toEqual(held);
    expect((await job(c.uuid))!.status).toBe("queued"); // a paused printer is not idle
    expect((await action(a.uuid, "print")).status).toBe(204);
    await jobIn(a.uuid, "printing");
    expect((await printStats()).print_stats.state).toBe("printing");

    // Abort: A ends aborted with its times, and C starts on the now idle printer and finishes.
    expect((await action(a.uuid, "abort")).status).toBe(204);
    await jobIn(a.uuid, "aborted");
    await jobIn(c.uuid, "finished");
    const done = await jobs();
    const aborted = done.find((j) => j.uuid === a.uuid)!;
    expect(aborted.started).toBe(true);
    expect(aborted.time_elapsed).toBeGreaterThan(0);
    expect(aborted.time_elapsed).toBeLessThan(aborted.time_total);
    expect(Number.isInteger(aborted.time_elapsed) && Number.isInteger(aborted.time_total)).toBe(true);
    expect(Date.parse(aborted.created_at)).toBeGreaterThan(0);
    expect((await printStats()).print_stats).toMatchObject({ state: "complete", filename: "third.gcode" });
    expect((await get<{ status: string }[]>("/cluster-api/v1/printers"))[0]!.status).toBe("idle");
  });
});
