// Authorization over real HTTP and websocket on 127.0.0.1: an untrusted client without credentials
// reaches only login/info, the API key (and its rotation), oneshot tokens, JWT logins, CORS.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { rpcNamesOf } from "../../../src/api/transport/rpc-names.ts";
import { createAuthComponent } from "../../../src/api/auth/auth-component.ts";
import { Database } from "../../../src/api/database/database.ts";
import { TempDir } from "../../support/temp-dir.ts";
import { quietLog, StateOnlyHost, testComponent } from "../transport-fixture.ts";
import { getJson, postJson, rpcClient, startAuthServer, type AuthServer } from "./auth-fixture.ts";
import type { ApiContext, EndpointDecl } from "../../../src/api/endpoint.ts";
import { Hono } from "hono";
import { applicationComponent } from "../../../src/api/server/application-component.ts";

// 127.0.0.1 is not in this list: the test client is an untrusted, remote-looking one
const UNTRUSTED = { trustedClients: ["10.99.0.0/16"], corsDomains: ["*://app.fluidd.xyz", "http://*.local"] };

/** Every endpoint the untrusted-server test serves, to walk them all. */
function declsOf(s: AuthServer): EndpointDecl[] {
  const ctx = { app: new Hono(), log: quietLog, host: new StateOnlyHost(), dataDir: s.dir.path } as Pick<ApiContext, "app" | "log" | "host" | "dataDir">;
  const auth = createAuthComponent(ctx as ApiContext, { db: Database.open(join(s.dir.path, "scratch-db"), quietLog) });
  return [...auth.endpoints, ...(testComponent(ctx as ApiContext) as { endpoints: EndpointDecl[] }).endpoints];
}

describe("untrusted client", () => {
  let s: AuthServer;
  beforeAll(async () => {
    s = await startAuthServer(UNTRUSTED, [
      testComponent,
      applicationComponent({ listen: () => ({ host: "127.0.0.1", port: 0 }) }),
    ]);
  });
  afterAll(async () => {
    await s.stop();
    s.dir.remove();
  });

  test("without credentials every route answers 401 except login, refresh and info", async () => {
    const decls = [...declsOf(s)];
    const dbRoutes = [
      ["GET", "/server/database/list"],
      ["GET", "/server/database/item?namespace=mainsail"],
      ["POST", "/server/database/item?namespace=mainsail&key=a&value=1"],
      ["DELETE", "/server/database/item?namespace=mainsail&key=a"],
    ] as const;
    const seenPublic: string[] = [];
    for (const d of decls) {
      for (const verb of d.verbs) {
        if (d.transports && !d.transports.includes("http")) continue;
        const res = await fetch(`${s.server.url}${d.path}`, { method: verb, headers: { "content-type": "application/json" }, body: verb === "GET" ? undefined : "{}" });
        if (d.public) {
          seenPublic.push(rpcNamesOf(d).get(verb)!);
          expect(res.status).not.toBe(401);
        } else {
          expect({ route: `${verb} ${d.path}`, status: res.status }).toEqual({ route: `${verb} ${d.path}`, status: 401 });
          expect(await res.json()).toEqual({ error: { code: 401, message: "Unauthorized" } });
        }
      }
    }
    for (const [verb, path] of dbRoutes) expect((await fetch(`${s.server.url}${path}`, { method: verb })).status).toBe(401);
    expect(seenPublic.sort()).toEqual(["access.info", "access.login", "access.refresh_jwt"]);
    // A refused write left nothing: the namespace does not exist
    expect(s.authorizer.users()).toEqual([]);
    const info = await getJson(`${s.server.url}/access/info`);
    expect(info.body.result).toEqual({ default_source: "moonraker", available_sources: ["moonraker"], login_required: false, trusted: false });
  });

  test("over the websocket: only identify/login/info answer until authenticated, no notifications before", async () => {
    const c = await rpcClient(`${s.server.url.replace("http", "ws")}/websocket`);
    expect((await c.call("server.database.list")).error).toEqual({ code: -32602, message: "Unauthorized" });
    expect((await c.call("access.info")).result.trusted).toBe(false);
    await postJson(`${s.server.url}/test/notify`, { text: "x" }, { "x-api-key": s.authorizer.apiKey() });
    const key = s.authorizer.apiKey();
    const id = await c.call("server.connection.identify", { client_name: "t", version: "1", type: "web", url: "x", api_key: key });
    expect(id.result.connection_id).toBeNumber();
    expect((await c.call("server.database.list")).result.backups).toEqual([]);
    expect(c.notifications.filter((n) => n.method === "notify_test")).toEqual([]);
    c.close();
  });

  test("API key: X-Api-Key opens every route; after rotation the old key is refused and the new one persisted", async () => {
    const oldKey = (await getJson(`${s.server.url}/access/api_key`, { headers: { "x-api-key": s.authorizer.apiKey() } })).body.result;
    expect(oldKey).toMatch(/^[0-9a-f]{32}$/);
    expect((await getJson(`${s.server.url}/server/database/list`, { headers: { "x-api-key": oldKey } })).status).toBe(200);
    expect((await getJson(`${s.server.url}/access/user`, { headers: { "x-api-key": oldKey } })).body.result.username).toBe("_API_KEY_USER_");
    const rotated = await postJson(`${s.server.url}/access/api_key`, {}, { "x-api-key": oldKey });
    const newKey = rotated.body.result;
    expect(newKey).not.toBe(oldKey);
    expect((await getJson(`${s.server.url}/server/database/list`, { headers: { "x-api-key": oldKey } })).status).toBe(401);
    expect((await getJson(`${s.server.url}/server/database/list`, { headers: { "x-api-key": newKey } })).status).toBe(200);
    const stored = JSON.parse(readFileSync(join(s.dir.path, "database", "authorized_users.json"), "utf8"));
    expect(stored.api_key).toBe(newKey);
  });

  test("a oneshot token works once, and not after 5 s", async () => {
    const key = { "x-api-key": s.authorizer.apiKey() };
    const t1 = (await getJson(`${s.server.url}/access/oneshot_token`, { headers: key })).body.result;
    expect((await getJson(`${s.server.url}/server/database/list?token=${t1}`)).status).toBe(200);
    expect((await getJson(`${s.server.url}/server/database/list?token=${t1}`)).status).toBe(401);
    const t2 = (await getJson(`${s.server.url}/access/oneshot_token`, { headers: key })).body.result;
    s.clock.ms += 4_900;
    const t3 = (await getJson(`${s.server.url}/access/oneshot_token`, { headers: key })).body.result;
    s.clock.ms += 200;
    expect((await getJson(`${s.server.url}/server/database/list?token=${t2}`)).status).toBe(401);
    expect((await getJson(`${s.server.url}/server/database/list?token=${t3}`)).status).toBe(200);
    // As the websocket's ?token= (a browser cannot set headers on it)
    const t4 = (await getJson(`${s.server.url}/access/oneshot_token`, { headers: key })).body.result;
    const ws = await rpcClient(`${s.server.url.replace("http", "ws")}/websocket?token=${t4}`);
    expect((await ws.call("server.database.list")).result).toBeDefined();
    ws.close();
    const again = await rpcClient(`${s.server.url.replace("http", "ws")}/websocket?token=${t4}`);
    expect((await again.call("server.database.list")).error?.code).toBe(-32602);
    again.close();
  });

  test("JWT: create user, login, access, refresh, password change, logout invalidates tokens", async () => {
    const key = { "x-api-key": s.authorizer.apiKey() };
    const created = await postJson(`${s.server.url}/access/user`, { username: "ada", password: "lovelace" }, key);
    expect(created.body.result).toMatchObject({ username: "ada", source: "moonraker", action: "user_created" });
    expect((await postJson(`${s.server.url}/access/login`, { username: "ada", password: "wrong" })).status).toBe(401);
    const login = await postJson(`${s.server.url}/access/login`, { username: "ada", password: "lovelace" });
    expect(login.body.result.action).toBe("user_logged_in");
    const { token, refresh_token } = login.body.result;
    const bearer = { authorization: `Bearer ${token}` };
    const me = await getJson(`${s.server.url}/access/user`, { headers: bearer });
    expect(me.body.result).toMatchObject({ username: "ada", source: "moonraker" });
    expect((await getJson(`${s.server.url}/server/database/list`, { headers: { "x-access-token": token } })).status).toBe(200);
    expect((await getJson(`${s.server.url}/access/users/list`, { headers: bearer })).body.result.users.map((u: { username: string }) => u.username)).toEqual(["ada"]);
    // The access token lasts an hour; refresh gives a new one
    s.clock.ms += 3601_000;
    expect((await getJson(`${s.server.url}/server/database/list`, { headers: bearer })).status).toBe(401);
    expect((await postJson(`${s.server.url}/access/refresh_jwt`, { refresh_token: token })).status).toBe(401);
    const refreshed = await postJson(`${s.server.url}/access/refresh_jwt`, { refresh_token });
    expect(refreshed.body.result).toMatchObject({ username: "ada", action: "user_jwt_refresh" });
    const fresh = { authorization: `Bearer ${refreshed.body.result.token}` };
    expect((await getJson(`${s.server.url}/server/database/list`, { headers: fresh })).status).toBe(200);
    const pw = await postJson(`${s.server.url}/access/user/password`, { password: "lovelace", new_password: "babbage" }, fresh);
    expect(pw.body.result).toEqual({ username: "ada", action: "user_password_reset" });
    expect((await postJson(`${s.server.url}/access/login`, { username: "ada", password: "lovelace" })).status).toBe(401);
    // Over the websocket: login authenticates the connection
    const ws = await rpcClient(`${s.server.url.replace("http", "ws")}/websocket`);
    expect((await ws.call("access.login", { username: "ada", password: "babbage" })).result.username).toBe("ada");
    expect((await ws.call("access.get_user")).result.username).toBe("ada");
    expect((await ws.call("access.logout")).result).toEqual({ username: "ada", action: "user_logged_out" });
    expect((await ws.call("server.database.list")).error?.code).toBe(-32602);
    ws.close();
    const relogin = await postJson(`${s.server.url}/access/login`, { username: "ada", password: "babbage" });
    const bearer2 = { authorization: `Bearer ${relogin.body.result.token}` };
    const out = await postJson(`${s.server.url}/access/logout`, {}, bearer2);
    expect(out.body.result).toEqual({ username: "ada", action: "user_logged_out" });
    expect((await getJson(`${s.server.url}/server/database/list`, { headers: bearer2 })).status).toBe(401);
    expect((await postJson(`${s.server.url}/access/refresh_jwt`, { refresh_token })).status).toBe(401);
    // The stored password is a hash, never the password
    expect(readFileSync(join(s.dir.path, "database", "authorized_users.json"), "utf8")).not.toContain("babbage");
    const del = await getJson(`${s.server.url}/access/user`, { method: "DELETE", headers: { ...key, "content-type": "application/json" }, body: JSON.stringify({ username: "ada" }) });
    expect(del.body.result).toEqual({ username: "ada", action: "user_deleted" });
  }, 30_000);

  test("CORS preflight: an allowed origin gets the headers, another is refused with 403", async () => {
    const ok = await fetch(`${s.server.url}/server/database/list`, {
      method: "OPTIONS",
      headers: { origin: "https://app.fluidd.xyz", "access-control-request-method": "GET", "access-control-request-private-network": "true" },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://app.fluidd.xyz");
    expect(ok.headers.get("access-control-allow-headers")).toContain("X-Api-Key");
    expect(ok.headers.get("access-control-allow-private-network")).toBe("true");
    const local = await fetch(`${s.server.url}/server/database/list`, { method: "OPTIONS", headers: { origin: "http://voron.local" } });
    expect(local.status).toBe(204);
    const bad = await fetch(`${s.server.url}/server/database/list`, { method: "OPTIONS", headers: { origin: "https://evil.example" } });
    expect(bad.status).toBe(403);
    expect(bad.headers.get("access-control-allow-origin")).toBeNull();
    const get = await fetch(`${s.server.url}/server/database/list`, { headers: { origin: "https://app.fluidd.xyz", "x-api-key": s.authorizer.apiKey() } });
    expect(get.headers.get("access-control-allow-origin")).toBe("https://app.fluidd.xyz");
  });
});

describe("trusted client", () => {
  let s: AuthServer;
  beforeAll(async () => {
    s = await startAuthServer({ trustedClients: ["127.0.0.0/8", "::1"], corsDomains: [] });
  });
  afterAll(async () => {
    await s.stop();
    s.dir.remove();
  });

  test("loopback is trusted: access.get_user reports _TRUSTED_USER_, info says trusted", async () => {
    expect((await getJson(`${s.server.url}/server/database/list`)).status).toBe(200);
    expect((await getJson(`${s.server.url}/access/user`)).body.result.username).toBe("_TRUSTED_USER_");
    expect((await getJson(`${s.server.url}/access/info`)).body.result.trusted).toBe(true);
    const ws = await rpcClient(`${s.server.url.replace("http", "ws")}/websocket`);
    expect((await ws.call("access.get_user")).result.username).toBe("_TRUSTED_USER_");
    ws.close();
  });

  test("a page of another site in the trusted browser is not trusted (no cross-site requests)", async () => {
    const res = await fetch(`${s.server.url}/server/database/list`, { headers: { origin: "https://evil.example" } });
    expect(res.status).toBe(401);
  });
});

test("force_logins: once a user exists, trusted clients must log in", async () => {
  const dir = new TempDir("stepline-auth-force-");
  const s = await startAuthServer({ trustedClients: ["127.0.0.1"], forceLogins: true }, [], dir);
  try {
    expect((await getJson(`${s.server.url}/server/database/list`)).status).toBe(200);
    await postJson(`${s.server.url}/access/user`, { username: "bob", password: "pw" });
    expect((await getJson(`${s.server.url}/access/info`)).body.result).toMatchObject({ login_required: true, trusted: false });
    expect((await getJson(`${s.server.url}/server/database/list`)).status).toBe(401);
    const login = await postJson(`${s.server.url}/access/login`, { username: "bob", password: "pw" });
    expect((await getJson(`${s.server.url}/server/database/list`, { headers: { authorization: `Bearer ${login.body.result.token}` } })).status).toBe(200);
  } finally {
    await s.stop();
    dir.remove();
  }
}, 30_000);
