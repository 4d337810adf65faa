// A client of klippy's API server socket (`klippy.py -a PATH`): JSON requests and replies framed by
// 0x03, with the asynchronous messages klippy pushes (gcode/subscribe_output, objects/subscribe)
// delivered by the method name given in the request's response_template.
import { createConnection, type Socket } from "node:net";

interface Reply {
  id?: number;
  result?: unknown;
  error?: { message: string; error?: string };
  method?: string;
  params?: Record<string, unknown>;
}

/** klippy answered a request with an error (its message as klippy wrote it). */
export class KlippyApiError extends Error {
  constructor(
    readonly method: string,
    readonly klippyMessage: string,
  ) {
    super(`${method}: ${klippyMessage}`);
    this.name = "KlippyApiError";
  }
}

export class KlippyApi {
  private buf = "";
  private nextId = 1;
  private readonly pending = new Map<number, (r: Reply) => void>();
  private readonly listeners = new Map<string, ((params: Record<string, unknown>) => void)[]>();

  private constructor(private readonly sock: Socket) {
    sock.on("data", (d) => {
      this.buf += d.toString();
      for (let i = this.buf.indexOf("\x03"); i >= 0; i = this.buf.indexOf("\x03")) {
        const msg = JSON.parse(this.buf.slice(0, i)) as Reply;
        this.buf = this.buf.slice(i + 1);
        if (msg.id !== undefined) {
          this.pending.get(msg.id)?.(msg);
          this.pending.delete(msg.id);
        } else if (msg.method) for (const cb of this.listeners.get(msg.method) ?? []) cb(msg.params ?? {});
      }
    });
    // klippy restarting closes the socket: fail what is still waiting so callers can retry
    sock.on("close", () => {
      for (const done of this.pending.values()) done({ error: { message: "klippy API socket closed" } });
      this.pending.clear();
    });
  }

  static connect(path: string): Promise<KlippyApi> {
    return new Promise((resolve, reject) => {
      const sock = createConnection({ path }, () => resolve(new KlippyApi(sock)));
      sock.on("error", reject);
    });
  }

  call<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, (r) => (r.error ? reject(new KlippyApiError(method, r.error.message)) : resolve(r.result as T)));
      this.sock.write(JSON.stringify({ id, method, params }) + "\x03");
    });
  }

  gcode(script: string): Promise<unknown> {
    return this.call("gcode/script", { script });
  }

  /** Messages klippy sends for a subscription whose response_template named `method`. */
  on(method: string, cb: (params: Record<string, unknown>) => void): void {
    this.listeners.set(method, [...(this.listeners.get(method) ?? []), cb]);
  }

  close(): void {
    this.sock.destroy();
  }
}
