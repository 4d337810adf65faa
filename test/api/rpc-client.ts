// A plain JSON-RPC websocket client for the tests: calls with ids, raw frames, and every
// notification kept in arrival order (with its arrival time) so tests can wait for one.
export interface RpcMessage {
  jsonrpc: "2.0";
  id?: number | string | null;
  method?: string;
  params?: unknown[];
  result?: unknown;
  error?: { code: number; message: string };
}

export class RpcClient {
  readonly notifications: { msg: RpcMessage; at: number }[] = [];
  /** Every message received (replies, notifications, batch arrays), in order. */
  readonly received: unknown[] = [];
  private nextId = 1;
  private pending = new Map<number | string, (m: RpcMessage) => void>();
  private waiters: (() => void)[] = [];
  closed: { code: number; reason: string } | null = null;
  private closeWaiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.onmessage = (ev) => {
      const data: unknown = JSON.parse(String(ev.data));
      this.received.push(data);
      for (const m of Array.isArray(data) ? data : [data]) {
        const msg = m as RpcMessage;
        if (msg.method) this.notifications.push({ msg, at: performance.now() });
        else if (msg.id !== undefined && msg.id !== null && this.pending.has(msg.id)) {
          this.pending.get(msg.id)!(msg);
          this.pending.delete(msg.id);
        }
      }
      for (const w of this.waiters.splice(0)) w();
    };
    ws.onclose = (ev) => {
      this.closed = { code: ev.code, reason: ev.reason };
      for (const w of this.closeWaiters.splice(0)) w();
    };
  }

  static async connect(baseUrl: string): Promise<RpcClient> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/websocket`);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`websocket to ${baseUrl} failed`));
    });
    return new RpcClient(ws);
  }

  /** Send a request; resolves with the whole reply (result or error). */
  request(method: string, params?: Record<string, unknown>): Promise<RpcMessage> {
    const id = this.nextId++;
    const reply = new Promise<RpcMessage>((resolve) => this.pending.set(id, resolve));
    this.ws.send(JSON.stringify(params === undefined ? { jsonrpc: "2.0", method, id } : { jsonrpc: "2.0", method, params, id }));
    return reply;
  }

  /** The result of a request; throws with the error message when it failed. */
  async call<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T> {
    const reply = await this.request(method, params);
    if (reply.error) throw new Error(`${method}: ${reply.error.code} ${reply.error.message}`);
    return reply.result as T;
  }

  send(text: string): void {
    this.ws.send(text);
  }

  /** Wait until `pred` holds for something received (checked after each message), at most `ms`. */
  async until<T>(pred: () => T | undefined | null | false, ms = 20_000, what = "condition"): Promise<T> {
    const deadline = performance.now() + ms;
    for (;;) {
      const v = pred();
      if (v) return v;
      const left = deadline - performance.now();
      if (left <= 0 || this.closed) throw new Error(`timed out waiting for ${what}${this.closed ? ` (socket closed ${this.closed.code})` : ""}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Notifications named `method` received so far. */
  named(method: string): RpcMessage[] {
    return this.notifications.filter((n) => n.msg.method === method).map((n) => n.msg);
  }

  waitClosed(): Promise<{ code: number; reason: string }> {
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve) => this.closeWaiters.push(() => resolve(this.closed!)));
  }

  close(): void {
    this.ws.close();
  }
}
