// The open websocket connections: per-connection state (caller, identify, close hooks), broadcast
// of notifications to authenticated clients (dead peers are found by Bun's protocol pings).
import type { ServerWebSocket } from "bun";
import type { ApiConnection, ApiLog, Caller } from "../endpoint.ts";

/** Data Bun keeps on each socket. */
export interface SocketData {
  connection: WsConnection | null;
  ip: string;
  /** Set at upgrade: the caller when the upgrade request authenticated, else null. */
  user: Caller["user"] | undefined;
  headers: Headers;
  query: URLSearchParams;
}

/** Frames queued beyond this many bytes mean a client that stopped reading: it is closed. */
const MAX_BUFFERED = 8 * 1024 * 1024;

export class WsConnection implements ApiConnection {
  identity: ApiConnection["identity"] = null;
  private closeHooks: (() => void)[] = [];
  private user: Caller["user"] | undefined;

  constructor(
    readonly id: number,
    private readonly ws: ServerWebSocket<SocketData>,
    user: Caller["user"] | undefined,
    private readonly log: ApiLog,
  ) {
    this.user = user;
  }

  get authenticated(): boolean {
    return this.user !== undefined;
  }

  authenticate(user: Caller["user"]): void {
    this.user = user;
  }

  deauthenticate(): void {
    this.user = undefined;
  }

  caller(): Caller {
    return { transport: "websocket", connectionId: this.id, ip: this.ws.data.ip, user: this.user ?? null };
  }

  send(method: string, params?: unknown[]): void {
    if (!this.authenticated) return;
    this.sendText(JSON.stringify(params === undefined ? { jsonrpc: "2.0", method } : { jsonrpc: "2.0", method, params }));
  }

  sendText(text: string): void {
    if (this.ws.readyState !== 1) return;
    if (this.ws.getBufferedAmount() > MAX_BUFFERED) {
      this.log.warn(`websocket ${this.id} (${this.ws.data.ip}): client not reading, closing`);
      this.ws.close(1008, "client not reading");
      return;
    }
    this.ws.send(text);
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  onClose(cb: () => void): void {
    this.closeHooks.push(cb);
  }

  closed(): void {
    const hooks = this.closeHooks;
    this.closeHooks = [];
    for (const h of hooks) {
      try {
        h();
      } catch (e) {
        this.log.error(`websocket ${this.id}: close hook failed: ${(e as Error).stack ?? e}`);
      }
    }
  }
}

export class ConnectionRegistry {
  private readonly byId = new Map<number, WsConnection>();
  private nextSeed = Math.floor(Math.random() * 1e9);

  constructor(private readonly log: ApiLog) {}

  open(ws: ServerWebSocket<SocketData>): WsConnection {
    // Moonraker's connection ids are large opaque integers; unique for this process
    const id = 1_000_000_000 + (this.nextSeed++ % 1_000_000_000);
    const conn = new WsConnection(id, ws, ws.data.user, this.log);
    this.byId.set(id, conn);
    return conn;
  }

  close(conn: WsConnection): void {
    this.byId.delete(conn.id);
    conn.closed();
  }

  count(): number {
    return this.byId.size;
  }

  all(): IterableIterator<WsConnection> {
    return this.byId.values();
  }

  closeAll(code: number, reason: string): void {
    for (const c of this.byId.values()) c.close(code, reason);
  }

  /** Send one notification to every authenticated client (serialized once). */
  broadcast(method: string, params?: unknown[]): void {
    if (this.byId.size === 0) return;
    const text = JSON.stringify(params === undefined ? { jsonrpc: "2.0", method } : { jsonrpc: "2.0", method, params });
    for (const c of this.byId.values()) if (c.authenticated) c.sendText(text);
  }
}
