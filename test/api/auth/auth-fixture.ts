// A web API server on 127.0.0.1 with the auth and database components in a temp data folder, a
// steppable clock, and small HTTP/websocket helpers for the auth tests.
import { join } from "node:path";
import { createAuthComponent } from "../../../src/api/auth/auth-component.ts";
import type { AuthOptions, Authorizer } from "../../../src/api/auth/authorizer.ts";
import { Database } from "../../../src/api/database/database.ts";
import { createDatabaseComponent } from "../../../src/api/database/database-component.ts";
import type { ApiComponentFactory } from "../../../src/api/endpoint.ts";
import { startApiServer, type ApiServer } from "../../../src/api/server.ts";
import { TempDir } from "../../support/temp-dir.ts";
import { quietLog, StateOnlyHost, testComponent } from "../transport-fixture.ts";

export interface AuthServer {
  server: ApiServer;
  authorizer: Authorizer;
  dir: TempDir;
  clock: { ms: number };
  stop(): Promise<void>;
}

export async function startAuthServer(auth: AuthOptions, extra: ApiComponentFactory[] = [testComponent], dir = new TempDir("stepline-auth-")): Promise<AuthServer> {
  const clock = { ms: Date.parse("2026-01-01T00:00:00Z") };
  const db = Database.open(join(dir.path, "database"), quietLog);
  let authorizer: Authorizer | null = null;
  const server = await startApiServer({
    host: new StateOnlyHost(),
    dataDir: dir.path,
    port: 0,
    hostname: "127.0.0.1",
    components: [
      (ctx) => {
        const c = createAuthComponent(ctx, { db, auth: { now: () => clock.ms, ...auth } });
        authorizer = c.authorizer;
        return c;
      },
      (ctx) => createDatabaseComponent(ctx, { db }),
      ...extra,
    ],
    log: quietLog,
  });
  return {
    server,
    authorizer: authorizer!,
    dir,
    clock,
    async stop() {
      await server.stop();
    },
  };
}

export async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return getJson(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
}

/** A websocket client that sends JSON-RPC calls and collects notifications. */
export async function rpcClient(url: string) {
  const ws = new WebSocket(url);
  const notifications: { method: string; params?: unknown[] }[] = [];
  const pending = new Map<number, (m: any) => void>();
  ws.addEventListener("message", (ev) => {
    const msg = JSON.parse(String(ev.data));
    if (msg.id !== undefined && pending.has(msg.id)) {
      pending.get(msg.id)!(msg);
      pending.delete(msg.id);
    } else if (msg.method) notifications.push(msg);
  });
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error("websocket failed")), { once: true });
  });
  let id = 0;
  return {
    notifications,
    call(method: string, params?: unknown): Promise<{ result?: any; error?: { code: number; message: string } }> {
      const myId = ++id;
      return new Promise((resolve) => {
        pending.set(myId, resolve);
        ws.send(JSON.stringify({ jsonrpc: "2.0", method, params, id: myId }));
      });
    },
    close: () => ws.close(),
  };
}
