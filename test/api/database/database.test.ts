// The database: namespaces as JSON files written atomically, dotted keys, corrupt files set aside,
// and server.database.* over real HTTP and the websocket as Mainsail and Fluidd call them.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Database } from "../../../src/api/database/database.ts";
import { createDatabaseComponent } from "../../../src/api/database/database-component.ts";
import { startApiServer, type ApiServer } from "../../../src/api/server.ts";
import { TempDir } from "../../support/temp-dir.ts";
import { quietLog, StateOnlyHost } from "../transport-fixture.ts";

const dirs: TempDir[] = [];
const tempDir = () => {
  const d = new TempDir("stepline-db-");
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

describe("Database store", () => {
  test("dotted and array keys create nested objects; values survive a reopen", async () => {
    const dir = tempDir().path;
    const db = Database.open(dir, quietLog);
    db.set("mainsail", "general.printername", "Voron");
    db.set("mainsail", ["dashboard", "layout.v2"], [1, 2]);
    expect(db.get("mainsail", "general")).toEqual({ printername: "Voron" });
    expect(db.get("mainsail", ["dashboard", "layout.v2"])).toEqual([1, 2]);
    await db.close();
    const again = Database.open(dir, quietLog);
    expect(again.get("mainsail")).toEqual({ general: { printername: "Voron" }, dashboard: { "layout.v2": [1, 2] } });
    expect(readdirSync(dir).sort()).toEqual(["mainsail.json"]);
  });

  test("missing namespace or key is a 404; delete returns the value", () => {
    const db = Database.open(tempDir().path, quietLog);
    expect(() => db.get("fluidd")).toThrow("Namespace 'fluidd' not found");
    db.set("fluidd", "uiSettings", { theme: "dark" });
    expect(() => db.get("fluidd", "uiSettings.missing")).toThrow("Key 'uiSettings.missing' in namespace 'fluidd' not found");
    expect(db.delete("fluidd", "uiSettings")).toEqual({ theme: "dark" });
    expect(() => db.delete("fluidd", "uiSettings")).toThrow("not found");
  });

  test("a corrupt namespace file is kept as .bad and that namespace starts empty; others load", async () => {
    const d = tempDir();
    d.write("broken.json", '{"half": ');
    d.write("good.json", '{"a": 1}');
    const db = Database.open(d.path, quietLog);
    expect(db.namespaces()).toEqual(["good"]);
    expect(existsSync(join(d.path, "broken.json.bad"))).toBe(true);
    expect(readFileSync(join(d.path, "broken.json.bad"), "utf8")).toBe('{"half": ');
    expect(quietLog.lines.some((l) => l.includes("namespace 'broken' unreadable"))).toBe(true);
    db.set("broken", "fresh", true);
    await db.flush();
    expect(JSON.parse(readFileSync(join(d.path, "broken.json"), "utf8"))).toEqual({ fresh: true });
  });

  test("writes are coalesced and leave no temp file behind", async () => {
    const dir = tempDir().path;
    const db = Database.open(dir, quietLog, { writeDelayMs: 10_000 });
    for (let i = 0; i < 100; i++) db.set("mainsail", "counter", i);
    expect(existsSync(join(dir, "mainsail.json"))).toBe(false);
    await db.flush();
    expect(JSON.parse(readFileSync(join(dir, "mainsail.json"), "utf8"))).toEqual({ counter: 99 });
    expect(readdirSync(dir)).toEqual(["mainsail.json"]);
  });

  test("namespace names that could escape the folder are refused", () => {
    const db = Database.open(tempDir().path, quietLog);
    expect(() => db.set("../evil", "k", 1)).toThrow("Invalid namespace");
    expect(() => db.set(".hidden", "k", 1)).toThrow("Invalid namespace");
    expect(() => db.set("ok", "a..b", 1)).toThrow("Invalid database key");
  });
});

describe("server.database.* over HTTP and websocket", () => {
  let dir: TempDir;
  let server: ApiServer;
  let db: Database;
  beforeAll(async () => {
    dir = new TempDir("stepline-dbapi-");
    db = Database.open(join(dir.path, "database"), quietLog);
    server = await startApiServer({
      host: new StateOnlyHost(),
      dataDir: dir.path,
      port: 0,
      hostname: "127.0.0.1",
      components: [(ctx) => createDatabaseComponent(ctx, { db })],
      log: quietLog,
    });
  });
  afterAll(async () => {
    await server.stop();
    dir.remove();
  });

  test("Mainsail's first connect: missing namespace is 404, POST creates it, GET reads it back", async () => {
    const missing = await fetch(`${server.url}/server/database/item?namespace=mainsail`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 404, message: "Namespace 'mainsail' not found" } });
    const post = await fetch(`${server.url}/server/database/item`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ namespace: "mainsail", key: "initVersion", value: "2.18.2" }),
    });
    expect(await post.json()).toEqual({ result: { namespace: "mainsail", key: "initVersion", value: "2.18.2" } });
    const got = await (await fetch(`${server.url}/server/database/item?namespace=mainsail`)).json();
    expect(got).toEqual({ result: { namespace: "mainsail", key: null, value: { initVersion: "2.18.2" } } });
    const list = (await (await fetch(`${server.url}/server/database/list`)).json()) as { result: { namespaces: string[]; backups: unknown[] } };
    expect(list.result.namespaces).toContain("mainsail");
    expect(list.result.backups).toEqual([]);
    await db.flush();
    expect(JSON.parse(readFileSync(join(dir.path, "database", "mainsail.json"), "utf8"))).toEqual({ initVersion: "2.18.2" });
  });

  test("over the websocket: post, get nested key, delete; missing namespace is -32601; auth store hidden", async () => {
    db.set("authorized_users", "secret", "x");
    const ws = new WebSocket(`${server.url.replace("http", "ws")}/websocket`);
    await new Promise((r) => ws.addEventListener("open", r, { once: true }));
    let id = 0;
    const call = (method: string, params: unknown) =>
      new Promise<{ result?: unknown; error?: { code: number; message: string } }>((resolve) => {
        const myId = ++id;
        const onMsg = (ev: MessageEvent) => {
          const msg = JSON.parse(String(ev.data));
          if (msg.id !== myId) return;
          ws.removeEventListener("message", onMsg);
          resolve(msg);
        };
        ws.addEventListener("message", onMsg);
        ws.send(JSON.stringify({ jsonrpc: "2.0", method, params, id: myId }));
      });
    expect((await call("server.database.get_item", { namespace: "fluidd" })).error?.code).toBe(-32601);
    await call("server.database.post_item", { namespace: "fluidd", key: "uiSettings.general.instanceName", value: "Bench" });
    expect((await call("server.database.get_item", { namespace: "fluidd", key: "uiSettings.general" })).result).toEqual({
      namespace: "fluidd",
      key: "uiSettings.general",
      value: { instanceName: "Bench" },
    });
    expect((await call("server.database.delete_item", { namespace: "fluidd", key: "uiSettings" })).result).toEqual({
      namespace: "fluidd",
      key: "uiSettings",
      value: { general: { instanceName: "Bench" } },
    });
    expect((await call("server.database.get_item", { namespace: "authorized_users" })).error?.code).toBe(403);
    expect((await call("server.database.post_item", { namespace: "history", key: "x", value: 1 })).error?.code).toBe(403);
    const list = (await call("server.database.list", {})).result as { namespaces: string[] };
    expect(list.namespaces).not.toContain("authorized_users");
    ws.close();
  });
});

test("a failed write keeps the namespace dirty and a later flush writes it", async () => {
  const d = new TempDir("stepline-db-fail-");
  try {
    const db = Database.open(d.path, quietLog, { writeDelayMs: 10_000 });
    db.set("mainsail", "k", 1);
    // A folder where the temp file should go makes the write fail
    mkdirSync(join(d.path, "mainsail.json.tmp"));
    await expect(db.flush()).rejects.toThrow("writing mainsail failed");
    rmSync(join(d.path, "mainsail.json.tmp"), { recursive: true });
    await db.flush();
    expect(JSON.parse(readFileSync(join(d.path, "mainsail.json"), "utf8"))).toEqual({ k: 1 });
  } finally {
    d.remove();
  }
});
