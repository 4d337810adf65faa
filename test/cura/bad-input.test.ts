// Bad uploads and actions against the Cura door on the real virtual printer: each gets a clear 4xx,
// nothing is left in gcodes/ (or the upload temp folder), the job list and the printer are unchanged.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { gzipSync, zipSync } from "fflate";
import { type CuraFixture, curaMultipart, startCuraFixture, testGcode } from "./fixture.ts";

setDefaultTimeout(60_000);

let f: CuraFixture;
const MAX_UPLOAD = 2 * 1024 * 1024;
const MAX_GCODE = 4 * 1024 * 1024;

beforeAll(async () => {
  f = await startCuraFixture({ maxUploadBytes: MAX_UPLOAD, maxGcodeBytes: MAX_GCODE });
});
afterAll(() => f.stop());

const listing = () => ({
  gcodes: readdirSync(f.gcodesDir).sort(),
  temp: readdirSync(join(f.tmp.path, ".upload-tmp")).sort(),
});

async function upload(filename: string, content: Uint8Array) {
  const { body, contentType } = curaMultipart(filename, content);
  const res = await fetch(`${f.base}/cluster-api/v1/print_jobs/`, { method: "POST", body, headers: { "Content-Type": contentType } });
  return { status: res.status, body: (await res.json()) as { message: string } };
}

async function jobs(): Promise<{ uuid: string; status: string }[]> {
  return (await fetch(`${f.base}/cluster-api/v1/print_jobs`)).json() as Promise<{ uuid: string; status: string }[]>;
}

/** Runs `bad`, then checks nothing was written, no job appeared and the printer is still idle and ready. */
async function refusedCleanly(bad: () => Promise<{ status: number; body: { message: string } }>, status: number, message: RegExp) {
  const before = listing();
  const jobsBefore = await jobs();
  const res = await bad();
  expect(res.status).toBe(status);
  expect(res.body.message).toMatch(message);
  expect(listing()).toEqual(before);
  expect(await jobs()).toEqual(jobsBefore);
  expect(f.host.state().state).toBe("ready");
  const printers = (await (await fetch(`${f.base}/cluster-api/v1/printers`)).json()) as { status: string }[];
  expect(printers[0]!.status).toBe("idle");
}

const enc = new TextEncoder();

describe("uploads that cannot be printed", () => {
  test("a .ufp that is not a zip file", async () => {
    await refusedCleanly(() => upload("junk.ufp", enc.encode("this is not a zip file at all\n".repeat(100))), 400, /UFP/);
  });

  test("a zip whose deflate data is corrupt", async () => {
    const zip = zipSync({ "/3D/model.gcode": enc.encode(testGcode(200)) }, { level: 6 });
    // Overwrite the middle of the compressed data (after the 30-byte local header and the name).
    for (let i = 60; i < 120; i++) zip[i] = 0xff;
    await refusedCleanly(() => upload("corrupt.ufp", zip), 400, /corrupt|not valid/);
  });

  test("a UFP without /3D/model.gcode", async () => {
    const zip = zipSync({ "/Metadata/thumbnail.png": new Uint8Array([0x89, 0x50, 0x4e, 0x47]), "/[Content_Types].xml": enc.encode("<Types/>") });
    await refusedCleanly(() => upload("nogcode.ufp", zip), 400, /no \/3D\/model\.gcode/);
  });

  test("a UFP cut off in the middle of the G-code", async () => {
    const zip = zipSync({ "/3D/model.gcode": enc.encode(testGcode(2000)) }, { level: 0 });
    await refusedCleanly(() => upload("cut.ufp", zip.subarray(0, Math.floor(zip.length / 2))), 400, /UFP (is truncated|is not a valid zip file)/);
  });

  test("a gzip bomb stops at the expansion limit", async () => {
    const bomb = gzipSync(new Uint8Array(16 * 1024 * 1024), { level: 9 }); // 16 MiB of zeros in ~16 KiB
    expect(bomb.length).toBeLessThan(MAX_UPLOAD);
    await refusedCleanly(() => upload("bomb.gcode.gz", bomb), 413, /expands beyond the limit of 4194304 bytes/);
  });

  test("a zip bomb inside a UFP stops at the expansion limit", async () => {
    const zip = zipSync({ "/3D/model.gcode": new Uint8Array(16 * 1024 * 1024) }, { level: 9 });
    await refusedCleanly(() => upload("bomb.ufp", zip), 413, /expands beyond the limit/);
  });

  test("a .gcode.gz that is not gzip", async () => {
    await refusedCleanly(() => upload("plain.gcode.gz", enc.encode(testGcode(10))), 400, /not valid gzip/);
  });

  test("a file type Cura never sends", async () => {
    await refusedCleanly(() => upload("model.stl", enc.encode("solid x\nendsolid x\n")), 415, /not a \.ufp, \.gcode\.gz or \.gcode/);
  });

  test("an upload larger than the limit is refused before it is read", async () => {
    await refusedCleanly(() => upload("big.gcode", new Uint8Array(MAX_UPLOAD + 1).fill(0x3b)), 413, /larger than the limit/);
  });

  test("a multipart body without its end", async () => {
    const { body, contentType } = curaMultipart("cut.gcode", enc.encode(testGcode(10)));
    const cut = body.subarray(0, body.length - 20);
    await refusedCleanly(async () => {
      const res = await fetch(`${f.base}/cluster-api/v1/print_jobs/`, { method: "POST", body: cut, headers: { "Content-Type": contentType } });
      return { status: res.status, body: (await res.json()) as { message: string } };
    }, 400, /not complete multipart|file/);
  });

  test("a connection that drops mid-upload leaves nothing", async () => {
    const before = listing();
    const jobsBefore = await jobs();
    const { body, contentType } = curaMultipart("dropped.gcode", enc.encode(testGcode(500)));
    const url = new URL(f.base);
    await new Promise<void>((resolve, reject) => {
      const sock = connect(Number(url.port), url.hostname, () => {
        sock.write(
          `POST /cluster-api/v1/print_jobs/ HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\n\r\n`,
        );
        sock.write(body.subarray(0, Math.floor(body.length / 2)));
        sock.end(); // close with half the declared body sent
      });
      sock.on("error", reject);
      sock.on("close", () => resolve());
      sock.resume();
    });
    await Bun.sleep(300); // let the server notice the dropped body
    expect(listing()).toEqual(before);
    expect(await jobs()).toEqual(jobsBefore);
    expect(f.host.state().state).toBe("ready");
  });
});

describe("actions that do not fit", () => {
  test("unknown job uuid: 404 for get, action, move, force and delete", async () => {
    const id = "00000000-0000-4000-8000-000000000000";
    const j = { "Content-Type": "application/json" };
    const answers = await Promise.all([
      fetch(`${f.base}/cluster-api/v1/print_jobs/${id}`),
      fetch(`${f.base}/cluster-api/v1/print_jobs/${id}/action`, { method: "PUT", headers: j, body: '{"action":"pause"}' }),
      fetch(`${f.base}/cluster-api/v1/print_jobs/${id}/action/move`, { method: "POST", headers: j, body: '{"to_position":0,"list":"queued"}' }),
      fetch(`${f.base}/cluster-api/v1/print_jobs/${id}`, { method: "PUT", headers: j, body: '{"force":true}' }),
      fetch(`${f.base}/cluster-api/v1/print_jobs/${id}`, { method: "DELETE", headers: j }),
    ]);
    for (const r of answers) {
      expect(r.status).toBe(404);
      expect(((await r.json()) as { message: string }).message).toContain(`no print job ${id}`);
    }
  });

  test("an action that is not Cura's, or not JSON: 400", async () => {
    const j = { "Content-Type": "application/json" };
    const a = await fetch(`${f.base}/cluster-api/v1/print_jobs/x/action`, { method: "PUT", headers: j, body: '{"action":"explode"}' });
    expect(a.status).toBe(400);
    const b = await fetch(`${f.base}/cluster-api/v1/print_jobs/x/action`, { method: "PUT", headers: j, body: "{nope" });
    expect(b.status).toBe(400);
    expect(((await b.json()) as { message: string }).message).toBe("body is not JSON");
  });

  test("pause, resume or abort of a finished job: 409, and it stays finished", async () => {
    const up = await upload("short.gcode", enc.encode(testGcode(2)));
    expect(up.status).toBe(201);
    const uuid = (up.body as unknown as { uuid: string }).uuid;
    const deadline = Date.now() + 30_000;
    while ((await jobs()).find((x) => x.uuid === uuid)?.status !== "finished") {
      if (Date.now() > deadline) throw new Error("job did not finish");
      await Bun.sleep(100);
    }
    for (const action of ["pause", "print", "abort"]) {
      const r = await fetch(`${f.base}/cluster-api/v1/print_jobs/${uuid}/action`, { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ action }) });
      expect(r.status).toBe(409);
      expect(((await r.json()) as { message: string }).message).toMatch(/it is finished/);
    }
    const move = await fetch(`${f.base}/cluster-api/v1/print_jobs/${uuid}/action/move`, { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"to_position":0}' });
    expect(move.status).toBe(409);
    expect((await jobs()).find((x) => x.uuid === uuid)?.status).toBe("finished");
  });
});
