// Bad input against the web API while the virtual printer prints: malformed JSON, wrong shapes and
// types, unknown methods, batches with bad members, oversized frames and bodies, slowloris headers
// and bodies, clients gone mid-request. Each gets a clear error; after each the print goes on
// (print_stats printing, file_position advancing), other websocket clients still get their
// notify_status_update, and nothing lands in gcodes/; finally the print completes.
import { readdirSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { RpcClient, type RpcMessage } from "./rpc-client.ts";
import { type ApiRig, startApiRig, untilReady } from "./printer-rig.ts";

setDefaultTimeout(120_000);

// biome-ignore lint: bodies are checked by value
type Json = any;
const PRINT_FILE = "bad-input.gcode";
const MiB = 1024 * 1024;

let rig: ApiRig;
/** Subscribed to print_stats and virtual_sdcard; never sends anything bad. */
let watcher: RpcClient;
/** The client every websocket assault goes through. */
let ws: RpcClient;
let gcodesBefore: string[];

const gcodesListing = () => readdirSync(rig.dirs.gcodes).sort();
const statusUpdates = (from: number) =>
  watcher.notifications.slice(from).filter((n) => n.msg.method === "notify_status_update").map((n) => (n.msg.params as [Json])[0]);

async function printStatus(): Promise<{ state: string; position: number }> {
  const s = (await watcher.call<Json>("printer.objects.query", { objects: { print_stats: ["state"], virtual_sdcard: ["file_position"] } })).status;
  return { state: s.print_stats.state, position: s.virtual_sdcard.file_position };
}

/** The print goes on: still printing, file_position advancing as seen by the watcher's notifications, gcodes/ untouched. */
async function stillPrinting(): Promise<void> {
  const before = await printStatus();
  expect(before.state).toBe("printing");
  const from = watcher.notifications.length;
  await watcher.until(() => statusUpdates(from).some((u) => (u.virtual_sdcard?.file_position ?? -1) > before.position) || null, 30_000, "file_position advancing");
  expect((await printStatus()).state).toBe("printing");
  expect(gcodesListing()).toEqual(gcodesBefore);
}

const post = (path: string, body: string, type = "application/json") =>
  fetch(rig.api.url + path, { method: "POST", headers: { "content-type": type }, body });

/** A raw TCP connection to the server, for requests no fetch client would send. */
async function rawSocket(): Promise<{ sock: Socket; received: () => string; closed: () => boolean }> {
  const port = rig.api.port;
  const sock = connect({ host: "127.0.0.1", port });
  let text = "";
  let isClosed = false;
  sock.on("data", (d) => (text += d.toString("latin1")));
  sock.on("close", () => (isClosed = true));
  sock.on("error", () => (isClosed = true));
  await new Promise<void>((resolve, reject) => {
    sock.once("connect", () => resolve());
    sock.once("error", reject);
  });
  return { sock, received: () => text, closed: () => isClosed };
}

const WS_KEY = "dGhlIHNhbXBsZSBub25jZQ==";

async function waitUntil(cond: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !cond() && Date.now() < end; ) await Bun.sleep(20);
}

/**
 * Write `total` bytes of "x" in 1 MiB pieces (chunked-encoded when asked), waiting for each to
 * drain, until the server answers or closes; the bytes written. Small writes keep this process's
 * printer fed (the test and the printer share one event loop).
 */
async function pushUntilAnswered(raw: Awaited<ReturnType<typeof rawSocket>>, first: Buffer | null, total: number, chunked = false): Promise<number> {
  if (first) raw.sock.write(first);
  const piece = Buffer.alloc(MiB, "x");
  const framed = chunked ? Buffer.concat([Buffer.from(`${MiB.toString(16)}\r\n`), piece, Buffer.from("\r\n")]) : piece;
  const start = raw.received().length;
  let sent = 0;
  while (sent < total && raw.received().length === start && !raw.closed()) {
    const flushed = raw.sock.write(framed);
    sent += MiB;
    if (!flushed) await new Promise<void>((resolve) => {
      const done = () => resolve();
      raw.sock.once("drain", done);
      raw.sock.once("close", done);
      setTimeout(done, 1000);
    });
    await Bun.sleep(1);
  }
  await waitUntil(() => raw.received().length > start || raw.closed());
  return sent;
}

/** While `trickle` sends one byte a second on its own connection, the other clients are served. */
async function othersServedWhile(sock: Socket, bytes: string, seconds: number): Promise<number> {
  let served = 0;
  for (let i = 0; i < seconds; i++) {
    sock.write(bytes[i % bytes.length]!);
    const [info, http] = await Promise.all([ws.call<Json>("printer.info"), fetch(rig.api.url + "/server/info").then((r) => r.json() as Promise<Json>)]);
    expect(info.state).toBe("ready");
    expect(http.result.klippy_state).toBe("ready");
    served += 2;
    await Bun.sleep(1000);
  }
  return served;
}

beforeAll(async () => {
  rig = await startApiRig();
  await untilReady(rig.host);
  watcher = await RpcClient.connect(rig.api.url);
  ws = await RpcClient.connect(rig.api.url);
  for (const c of [watcher, ws]) await c.call("server.connection.identify", { client_name: "bad-input", version: "1", type: "other", url: "http://test" });
  await watcher.call("printer.objects.subscribe", { objects: { print_stats: ["state"], virtual_sdcard: ["file_position"] } });
  // About 100 s of 1 s moves: long enough for every assault, short enough to finish
  const lines = ["G28", "G90", "G1 Z5 F600"];
  for (let i = 0; i < 100; i++) lines.push(`G1 X${i % 2 ? 120 : 100} Y${60 + (i % 40)} F1200`);
  const form = new FormData();
  form.append("file", new Blob([lines.join("\n") + "\n"]), PRINT_FILE);
  const up = await fetch(rig.api.url + "/server/files/upload", { method: "POST", body: form });
  expect(up.status).toBe(201);
  gcodesBefore = gcodesListing();
  expect(gcodesBefore).toContain(PRINT_FILE);
  const from = watcher.notifications.length;
  expect(await ws.call("printer.print.start", { filename: PRINT_FILE })).toBe("ok");
  await watcher.until(() => statusUpdates(from).some((u) => u.print_stats?.state === "printing") || null, 20_000, "printing");
});

afterAll(async () => {
  watcher?.close();
  ws?.close();
  await rig?.stop();
});

describe("bad input while printing", () => {
  test("malformed JSON bodies over HTTP: 400 with a clear message", async () => {
    for (const body of ['{"script": "G4 P1"', "{script: G28}", '{"script": "G28"} trailing']) {
      const r = await post("/printer/gcode/script", body);
      expect(r.status).toBe(400);
      expect(((await r.json()) as Json).error).toMatchObject({ code: 400, message: expect.stringContaining("Invalid JSON body") });
    }
    for (const body of ["[1, 2]", '"G28"', "42", "null"]) {
      const r = await post("/printer/gcode/script", body);
      expect(r.status).toBe(400);
      expect(((await r.json()) as Json).error.message).toMatch(/JSON/);
    }
    await stillPrinting();
  });

  test("malformed websocket frames: -32700 Parse error, the socket stays open", async () => {
    for (const frame of ['{"jsonrpc": "2.0", "method": "printer.info", "id": 1', "not json at all", "\u0000\u0001", "[{]"]) {
      const at = ws.received.length;
      ws.send(frame);
      const reply = (await ws.until(() => ws.received[at] as RpcMessage | undefined, 10_000, "parse error reply")) as RpcMessage;
      expect(reply).toEqual({ jsonrpc: "2.0", error: { code: -32700, message: "Parse error" }, id: null });
    }
    expect(ws.closed).toBeNull();
    expect((await ws.call<Json>("printer.info")).state).toBe("ready");
    await stillPrinting();
  });

  test("valid JSON of the wrong shape over the websocket: -32600 / -32602, ids echoed", async () => {
    const raw = async (frame: unknown): Promise<RpcMessage> => {
      const at = ws.received.length;
      ws.send(JSON.stringify(frame));
      return (await ws.until(() => ws.received[at] as RpcMessage | undefined, 10_000, "reply")) as RpcMessage;
    };
    expect((await raw(42)).error?.code).toBe(-32600);
    expect((await raw("printer.info")).error?.code).toBe(-32600);
    expect(await raw({ jsonrpc: "2.0", method: 7, id: 11 })).toMatchObject({ error: { code: -32600 }, id: 11 });
    expect(await raw({ jsonrpc: "1.0", method: "printer.info", id: 12 })).toMatchObject({ error: { code: -32600 }, id: 12 });
    expect(await raw({ jsonrpc: "2.0", method: "printer.info", params: [1, 2], id: 13 })).toMatchObject({ error: { code: -32602 }, id: 13 });
    expect(await raw({ jsonrpc: "2.0", method: "printer.info", params: "x", id: 14 })).toMatchObject({ error: { code: -32602 }, id: 14 });
    // Wrong param types: Invalid params with a message naming the problem
    for (const [method, params] of [
      ["printer.gcode.script", { script: 42 }],
      ["printer.print.start", { filename: ["a"] }],
      ["printer.objects.query", { objects: "toolhead" }],
      ["printer.objects.subscribe", { objects: 5 }],
      ["server.files.list", { root: { x: 1 } }],
    ] as const) {
      const reply = await ws.request(method, params);
      expect(reply.error?.code).toBe(-32602);
      expect(reply.error?.message.length).toBeGreaterThan(0);
    }
    await stillPrinting();
  });

  test("wrong param types over HTTP: 400 with a clear message", async () => {
    const r1 = await post("/printer/gcode/script", JSON.stringify({ script: 42 }));
    expect(r1.status).toBe(400);
    expect(((await r1.json()) as Json).error.message.length).toBeGreaterThan(0);
    const r2 = await fetch(rig.api.url + "/printer/objects/query?objects:json={bad");
    expect(r2.status).toBe(400);
    expect(((await r2.json()) as Json).error.message).toContain("Unable to convert argument 'objects:json'");
    const r3 = await fetch(rig.api.url + "/server/files/list?root:int=abc");
    expect(r3.status).toBe(400);
    expect(((await r3.json()) as Json).error.message).toContain("to int");
    await stillPrinting();
  });

  test("unknown methods: -32601 over the websocket and /server/jsonrpc, 404 with a JSON body over HTTP", async () => {
    const reply = await ws.request("printer.no_such_thing", {});
    expect(reply.error).toEqual({ code: -32601, message: "Method not found: printer.no_such_thing" });
    const rpc = (await (await post("/server/jsonrpc", JSON.stringify({ jsonrpc: "2.0", method: "no.such", id: 3 }))).json()) as Json;
    expect(rpc).toMatchObject({ error: { code: -32601 }, id: 3 });
    for (const [method, path] of [["GET", "/printer/no_such_thing"], ["POST", "/server/nothing/here"], ["DELETE", "/printer/info"]] as const) {
      const r = await fetch(rig.api.url + path, { method });
      expect(r.status).toBe(404);
      expect(((await r.json()) as Json).error.code).toBe(404);
    }
    await stillPrinting();
  });

  test("batches with bad members: every member with an id answered in its own right", async () => {
    const batch = [
      { jsonrpc: "2.0", method: "printer.info", id: 21 },
      { jsonrpc: "2.0", method: "no.such.method", id: 22 },
      42,
      { jsonrpc: "2.0", method: "printer.gcode.script", params: { script: 7 }, id: 23 },
      { jsonrpc: "2.0", method: "printer.info" },
      { jsonrpc: "2.0", method: "server.info", params: [1], id: 24 },
    ];
    const check = (replies: Json) => {
      expect(Array.isArray(replies)).toBe(true);
      expect(replies).toHaveLength(5);
      expect(replies[0]).toMatchObject({ id: 21, result: { state: "ready" } });
      expect(replies[1]).toMatchObject({ id: 22, error: { code: -32601 } });
      expect(replies[2]).toMatchObject({ id: null, error: { code: -32600 } });
      expect(replies[3]).toMatchObject({ id: 23, error: { code: -32602 } });
      expect(replies[4]).toMatchObject({ id: 24, error: { code: -32602 } });
    };
    const at = ws.received.length;
    ws.send(JSON.stringify(batch));
    check(await ws.until(() => ws.received.slice(at).find((m) => Array.isArray(m)), 10_000, "batch reply"));
    const http = await post("/server/jsonrpc", JSON.stringify(batch));
    expect(http.status).toBe(200);
    check(await http.json());
    // An empty batch is one Invalid Request; a malformed batch one Parse error
    expect(await (await post("/server/jsonrpc", "[]")).json()).toMatchObject({ error: { code: -32600 }, id: null });
    expect(await (await post("/server/jsonrpc", '[{"jsonrpc": "2.0",')).json()).toMatchObject({ error: { code: -32700 }, id: null });
    await stillPrinting();
  });

  test("a 64 MiB websocket frame closes that socket with 1009, long before it is sent; the others keep their notifications", async () => {
    const raw = await rawSocket();
    raw.sock.write(`GET /websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${WS_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await waitUntil(() => raw.received().includes("\r\n\r\n"));
    expect(raw.received()).toContain("101 Switching Protocols");
    const before = raw.received().length;
    // A masked text frame header declaring 64 MiB (64-bit length), then the payload in 1 MiB writes
    const header = Buffer.alloc(14);
    header[0] = 0x81;
    header[1] = 0xff;
    header.writeBigUInt64BE(BigInt(64 * MiB), 2);
    header.set([1, 2, 3, 4], 10);
    const sent = await pushUntilAnswered(raw, header, 64 * MiB);
    expect(sent).toBeLessThan(64 * MiB);
    // The server's close frame: opcode 8, status 1009 (message too big)
    const close = Buffer.from(raw.received().slice(before), "latin1");
    expect(close[0]).toBe(0x88);
    expect(close.readUInt16BE(2)).toBe(1009);
    raw.sock.destroy();
    expect(ws.closed).toBeNull();
    const fresh = await RpcClient.connect(rig.api.url);
    expect((await fresh.call<Json>("printer.info")).state).toBe("ready");
    fresh.close();
    await stillPrinting();
  });

  test("a 64 MiB HTTP JSON body is refused with 413, declared or chunked, long before it is sent", async () => {
    for (const path of ["/printer/gcode/script", "/server/jsonrpc"]) {
      for (const framing of ["declared", "chunked"] as const) {
        const raw = await rawSocket();
        const lengthHeader = framing === "declared" ? `Content-Length: ${64 * MiB + 20}` : "Transfer-Encoding: chunked";
        raw.sock.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${lengthHeader}\r\n\r\n`);
        const open = '{"script": "M117 ';
        raw.sock.write(framing === "declared" ? open : `${open.length.toString(16)}\r\n${open}\r\n`);
        const sent = await pushUntilAnswered(raw, null, 64 * MiB, framing === "chunked");
        expect(sent).toBeLessThan(64 * MiB);
        const answer = raw.received();
        expect(answer).toMatch(/^HTTP\/1.1 413/);
        expect(answer).toContain("too large");
        raw.sock.destroy();
      }
    }
    await stillPrinting();
  });

  test("slowloris headers (a byte a second) do not stall the other clients", async () => {
    const slow = await rawSocket();
    slow.sock.write("GET /server/info HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    const served = await othersServedWhile(slow.sock, "X-Slow-Header: abcdefgh", 6);
    expect(served).toBe(12);
    // The request never completed, so it was never answered
    expect(slow.received()).not.toContain("klippy_state");
    slow.sock.destroy();
    await stillPrinting();
  });

  test("a slow JSON POST body does not stall the other clients; cut off mid-way it runs nothing", async () => {
    const slow = await rawSocket();
    const body = JSON.stringify({ script: "SET_GCODE_OFFSET Z=5" });
    slow.sock.write(`POST /printer/gcode/script HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    const served = await othersServedWhile(slow.sock, body, 6);
    expect(served).toBe(12);
    expect(slow.received()).toBe("");
    slow.sock.destroy();
    await Bun.sleep(200);
    const offset = (await ws.call<Json>("printer.objects.query", { objects: { gcode_move: ["homing_origin"] } })).status.gcode_move.homing_origin;
    expect(offset[2]).toBe(0);
    await stillPrinting();
  });

  test("a slow upload does not stall the other clients; cut off mid-way it leaves no file", async () => {
    const slow = await rawSocket();
    const boundary = "----badinput";
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.gcode"\r\nContent-Type: application/octet-stream\r\n\r\n`;
    const declared = head.length + 10_000;
    slow.sock.write(`POST /server/files/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${declared}\r\n\r\n${head}G28\n`);
    const served = await othersServedWhile(slow.sock, "G1 X10\n", 6);
    expect(served).toBe(12);
    expect(slow.received()).toBe("");
    slow.sock.destroy();
    // The temp file goes with the connection; gcodes/ never saw it
    const tmpDir = `${rig.tmp.path}/.upload-tmp`;
    const leftovers = () => {
      try {
        return readdirSync(tmpDir);
      } catch {
        return [];
      }
    };
    for (let i = 0; i < 50 && leftovers().length > 0; i++) await Bun.sleep(100);
    expect(leftovers()).toEqual([]);
    await stillPrinting();
  });

  test("clients that disconnect mid-request: mid-headers, mid-body, mid-frame", async () => {
    const a = await rawSocket();
    a.sock.end("POST /printer/gcode/scr");
    const b = await rawSocket();
    b.sock.end('POST /printer/gcode/script HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"script": "M1');
    const c = await rawSocket();
    // A websocket upgrade whose first frame is cut after its header
    c.sock.write(`GET /websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${WS_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    for (let i = 0; i < 50 && !c.received().includes("101"); i++) await Bun.sleep(50);
    expect(c.received()).toContain("101 Switching Protocols");
    c.sock.end(Buffer.from([0x81, 0xfe, 0x10, 0x00, 1, 2, 3, 4, 0x41]));
    for (const s of [a, b, c]) s.sock.destroySoon();
    expect((await ws.call<Json>("printer.info")).state).toBe("ready");
    await stillPrinting();
  });

  test("the print completes, with nothing in gcodes/ but the printed file", async () => {
    const from = watcher.notifications.length;
    await watcher.until(() => statusUpdates(from).some((u) => u.print_stats?.state === "complete") || null, 180_000, "print complete");
    const done = (await watcher.call<Json>("printer.objects.query", { objects: { print_stats: ["state", "filename"], virtual_sdcard: ["file_position", "file_size"] } })).status;
    expect(done.print_stats).toEqual({ state: "complete", filename: PRINT_FILE });
    expect(done.virtual_sdcard.file_position).toBe(done.virtual_sdcard.file_size);
    expect(gcodesListing()).toEqual(gcodesBefore);
    expect(rig.logLines.filter((l) => l.includes("internal error"))).toEqual([]);
  }, 200_000);
});
