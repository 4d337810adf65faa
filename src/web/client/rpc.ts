// The dashboard's connection to the web API: one Moonraker JSON-RPC websocket (/websocket) with
// request/response ids, notifications and automatic reconnect, plus the HTTP helpers (API key header).

export type Notification = (params: unknown[]) => void;

/** A JSON-RPC error answered by the server (code = Moonraker's HTTP-style status or -326xx). */
export class RpcError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
    this.name = "RpcError";
  }
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

const API_KEY_STORAGE = "stepline.apiKey";

export function storedApiKey(): string {
  return localStorage.getItem(API_KEY_STORAGE) ?? "";
}

export function storeApiKey(key: string): void {
  if (key) localStorage.setItem(API_KEY_STORAGE, key);
  else localStorage.removeItem(API_KEY_STORAGE);
}

/** Headers for plain HTTP requests (uploads, downloads) to the same server. */
export function authHeaders(): Record<string, string> {
  const key = storedApiKey();
  return key ? { "X-Api-Key": key } : {};
}

export class Rpc {
  private ws: WebSocket | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private handlers = new Map<string, Set<Notification>>();
  private retryMs = 500;
  /** Called after every (re)connect once the socket is identified, and on every close. */
  onOpen: () => void = () => {};
  onClose: () => void = () => {};

  constructor(private readonly url: string) {}

  connect(): void {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.retryMs = 500;
      this.onOpen();
    };
    ws.onmessage = (ev) => this.receive(String(ev.data));
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      for (const p of this.pending.values()) p.reject(new RpcError("connection closed", -1));
      this.pending.clear();
      this.onClose();
      // Back off up to 5 s so a restarting host is found again without hammering it
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 5000);
    };
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  call<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new RpcError("not connected", -1));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: (v) => resolve(v as T), reject });
      ws.send(JSON.stringify({ jsonrpc: "2.0", method, params: params ?? {}, id }));
    });
  }

  /** Subscribe to a server notification ("notify_status_update", …); returns the unsubscribe. */
  on(method: string, cb: Notification): () => void {
    let set = this.handlers.get(method);
    if (!set) this.handlers.set(method, (set = new Set()));
    set.add(cb);
    return () => set.delete(cb);
  }

  private receive(text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      console.warn("dashboard: unparsable websocket message", text.slice(0, 200));
      return;
    }
    for (const m of Array.isArray(msg) ? msg : [msg]) this.dispatch(m as Record<string, unknown>);
  }

  private dispatch(m: Record<string, unknown>): void {
    if (typeof m.id === "number" && this.pending.has(m.id)) {
      const p = this.pending.get(m.id)!;
      this.pending.delete(m.id);
      const err = m.error as { code?: number; message?: string } | undefined;
      if (err) p.reject(new RpcError(err.message ?? "error", err.code ?? 0));
      else p.resolve(m.result);
      return;
    }
    if (typeof m.method === "string") {
      const params = Array.isArray(m.params) ? m.params : [];
      for (const cb of this.handlers.get(m.method) ?? []) cb(params);
    }
  }
}
