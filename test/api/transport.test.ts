// The web API transport on its own (a test component, a Host whose state the test sets): HTTP ↔
// JSON-RPC mapping, query type hints, result/error wrapping, JSON-RPC batches, ids, notifications,
// every error code path, klippy-state gating, bad input (malformed JSON, wrong types, huge frames).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ApiServer } from "../../src/api/server.ts";
import { MAX_WS_FRAME } from "../../src/api/server.ts";
import { RpcClient } from "./rpc-client.ts";
import { startTransportServer, type StateOnlyHost } from "./transport-fixture.ts";

let server: ApiServer;
let host: StateOnlyHost;
let client: RpcClient;

beforeAll(async () => {
  ({ server, host } = await startTransportServer());
  client = await RpcClient.connect(server.url);
});
afterAll(async () => {
  client.close();
  await server.stop();
});

/** A JSON body as the API answers it (result shape depends on the endpoint). */
// biome-ignore lint: test bodies are checked by value
type Body = any;
const json = (r: Response): Promise<Body> => r.json();
const get = (path: string) => fetch(server.url + path);
const post = (path: string, body: unknown, type = "application/json") =>
  fetch(server.url + path, { method: "POST", headers: { "content-type": type }, body: typeof body === "string" ? body : JSON.stringify(body) });

describe("HTTP", () => {
  test("wraps results in {result}, string query values stay strings, type hints convert", async () => {
    const r = await get("/test/echo?a=1&n:int=2&f:float=2.5&b:bool=true&j:json=%7B%22k%22%3A%5B1%5D%7D");
    expect(r.status).toBe(200);
    expect(await json(r)).toEqual({ result: { params: { a: "1", n: 2, f: 2.5, b: true, j: { k: [1] } }, transport: "http", connectionId: null } });
  });

  test("a JSON body is merged over the query string; a form body is read as one", async () => {
    expect((await json(await post("/test/echo?a=1&c=3", { a: 2, b: [true] }))).result.params).toEqual({ a: 2, b: [true], c: "3" });
    expect((await json(await post("/test/echo", "x=1&y:int=5", "application/x-www-form-urlencoded"))).result.params).toEqual({ x: "1", y: 5 });
  });

  test("a bad type hint value is a 400 JSON error", async () => {
    const r = await get("/test/echo?n:int=abc");
    expect(r.status).toBe(400);
    expect((await json(r)).error.message).toContain("'n:int'");
  });

  test("the verb picks the method of a multi-verb path", async () => {
    expect((await json(await get("/test/item"))).result).toBe("GET");
    expect((await json(await post("/test/item", {}))).result).toBe("POST");
    expect((await json(await fetch(server.url + "/test/item", { method: "DELETE" }))).result).toBe("DELETE");
  });

  test("invalid params are 400 with the field named", async () => {
    const r = await get("/test/typed?count=4");
    expect(r.status).toBe(400);
    expect((await json(r)).error).toMatchObject({ code: 400, message: expect.stringContaining("count") });
  });

  test("errors carry their status; an unexpected throw is a 500; unknown paths a JSON 404", async () => {
    const r1 = await get("/test/fail?status:int=409");
    expect(r1.status).toBe(409);
    expect(await json(r1)).toEqual({ error: { code: 409, message: "failed with 409" } });
    const r2 = await get("/test/fail");
    expect(r2.status).toBe(500);
    expect((await json(r2)).error.message).toContain("boom");
    const r3 = await get("/no/such/thing");
    expect(r3.status).toBe(404);
    expect(await json(r3)).toEqual({ error: { code: 404, message: "Not Found" } });
  });

  test("malformed and non-object JSON bodies are refused with 400", async () => {
    const r1 = await post("/test/echo", "{not json");
    expect(r1.status).toBe(400);
    expect((await json(r1)).error.message).toContain("Invalid JSON");
    const r2 = await post("/test/echo", "[1,2]");
    expect(r2.status).toBe(400);
  });

  test("websocket-only methods have no HTTP route", async () => {
    expect((await get("/test/ws_only")).status).toBe(404);
  });

  test("POST /server/jsonrpc answers JSON-RPC over HTTP, batches included", async () => {
    const r = await post("/server/jsonrpc", [
      { jsonrpc: "2.0", method: "test.typed", params: { count: 21 }, id: "x" },
      { jsonrpc: "2.0", method: "no.such", id: 2 },
    ]);
    expect(await json(r)).toEqual([
      { jsonrpc: "2.0", result: 42, id: "x" },
      { jsonrpc: "2.0", error: { code: -32601, message: "Method not found: no.such" }, id: 2 },
    ]);
  });
});

describe("websocket JSON-RPC", () => {
  test("echoes ids of any kind and answers a batch with an array", async () => {
    client.send(
      JSON.stringify([
        { jsonrpc: "2.0", method: "test.typed", params: { count: 1 }, id: 0 },
        { jsonrpc: "2.0", method: "test.typed", params: { count: 2 }, id: "two" },
        { jsonrpc: "2.0", method: "test.get_item", id: 10001 },
      ]),
    );
    const batch = await client.until(() => client.received.find((m) => Array.isArray(m) && m.length === 3) as unknown[] | undefined, 5000, "batch reply");
    expect(batch).toEqual([
      { jsonrpc: "2.0", result: 2, id: 0 },
      { jsonrpc: "2.0", result: 4, id: "two" },
      { jsonrpc: "2.0", result: "GET", id: 10001 },
    ]);
  });

  test("the connection id reaches the handler", async () => {
    const r = await client.call<{ transport: string; connectionId: number }>("test.echo", {});
    expect(r.transport).toBe("websocket");
    expect(await client.call("test.ws_only")).toBe(r.connectionId);
  });

  test("error codes: -32601 unknown method and 404, -32602 invalid params, -32700 parse error, -32600 invalid request, statuses pass through", async () => {
    expect((await client.request("no.such.method")).error).toEqual({ code: -32601, message: "Method not found: no.such.method" });
    expect((await client.request("test.fail", { status: 404 })).error?.code).toBe(-32601);
    expect((await client.request("test.fail", { status: 401 })).error?.code).toBe(-32602);
    expect((await client.request("test.typed", { count: "seven" })).error?.code).toBe(-32602);
    expect((await client.request("test.fail", { status: 409 })).error).toEqual({ code: 409, message: "failed with 409" });
    expect((await client.request("test.fail")).error?.code).toBe(500);
    const before = client.received.length;
    client.send("{oops");
    client.send(JSON.stringify({ jsonrpc: "1.0", method: "test.echo", id: 77 }));
    client.send("[]");
    const replies = await client.until(() => (client.received.length >= before + 3 ? client.received.slice(before) : null), 5000, "three error replies");
    expect(replies).toEqual([
      { jsonrpc: "2.0", error: { code: -32700, message: "Parse error" }, id: null },
      { jsonrpc: "2.0", error: { code: -32600, message: "Invalid Request" }, id: 77 },
      { jsonrpc: "2.0", error: { code: -32600, message: "Invalid Request" }, id: null },
    ]);
  });

  test("positional (array) params are invalid params", async () => {
    const before = client.received.length;
    client.send(JSON.stringify({ jsonrpc: "2.0", method: "test.echo", params: [1, 2], id: 5 }));
    const reply = await client.until(() => client.received[before], 5000, "reply");
    expect(reply).toMatchObject({ error: { code: -32602 }, id: 5 });
  });

  test("a request without id is a notification: it runs, nothing is answered", async () => {
    const other = await RpcClient.connect(server.url);
    try {
      const before = client.received.length;
      client.send(JSON.stringify({ jsonrpc: "2.0", method: "test.notify", params: { text: "hello" } }));
      // The broadcast it triggers reaches both clients, with params as an array
      const n = await other.until(() => other.named("notify_test")[0], 5000, "notify_test");
      expect(n).toEqual({ jsonrpc: "2.0", method: "notify_test", params: ["hello"] });
      await client.until(() => client.named("notify_test").length > 0, 5000, "own notify");
      const own = client.received.slice(before);
      expect(own.every((m) => (m as { method?: string }).method === "notify_test")).toBe(true);
    } finally {
      other.close();
    }
  });

  test("klippy gating: needsKlippy=true answers 503 unless ready, 'connected' only while disconnected", async () => {
    host.setState("startup", "Printer is starting");
    expect((await client.request("test.ready_only")).error?.code).toBe(503);
    expect(await client.call("test.connected_only")).toBe("ran");
    host.setState("disconnected", "Klippy Disconnected");
    expect((await client.request("test.connected_only")).error).toEqual({ code: 503, message: "Klippy Disconnected" });
    const http = await post("/test/ready_only", {});
    expect(http.status).toBe(503);
    host.setState("ready", "Printer is ready");
    expect(await client.call("test.ready_only")).toBe("ran");
  });

  test("a frame larger than the limit closes that socket (1009); the server keeps serving", async () => {
    const big = await RpcClient.connect(server.url);
    big.send(JSON.stringify({ jsonrpc: "2.0", method: "test.echo", params: { pad: "x".repeat(MAX_WS_FRAME + 10) }, id: 1 }));
    const closed = await big.waitClosed();
    expect(closed.code).toBe(1009);
    expect(await client.call("test.typed", { count: 5 })).toBe(10);
  });
});
