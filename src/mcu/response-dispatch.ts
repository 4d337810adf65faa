// Routes decoded MCU responses to handlers registered by (name, oid).
import type { DecodedMessage } from "../protocol/index.ts";

/** A decoded response with the host times clock sync needs. */
export interface ResponseMessage extends DecodedMessage {
  /** Host time the block it answers finished sending (0: unknown, e.g. retransmitted). */
  sentTime: number;
  /** Host time it arrived. */
  receiveTime: number;
}

export type ResponseHandler = (msg: ResponseMessage) => void;

export class ResponseDispatcher {
  private readonly handlers = new Map<string, ResponseHandler>();
  /** Queries waiting for one response each (several may wait for the same kind). */
  private readonly waiters = new Map<string, Set<ResponseHandler>>();

  constructor(private readonly onUnhandled: (msg: ResponseMessage) => void) {}

  /** Register (or with cb null, remove) the handler for name with the given oid (null: no oid). */
  register(name: string, oid: number | null, cb: ResponseHandler | null): void {
    const key = keyOf(name, oid);
    if (cb) this.handlers.set(key, cb);
    else this.handlers.delete(key);
  }

  /** Also deliver name/oid responses to cb (besides any handler) until the returned function is called. */
  addWaiter(name: string, oid: number | null, cb: ResponseHandler): () => void {
    const key = keyOf(name, oid);
    let set = this.waiters.get(key);
    if (!set) this.waiters.set(key, (set = new Set()));
    set.add(cb);
    return () => {
      set!.delete(cb);
      if (set!.size === 0 && this.waiters.get(key) === set) this.waiters.delete(key);
    };
  }

  dispatch(msg: ResponseMessage): void {
    const oid = typeof msg.params.oid === "number" ? msg.params.oid : null;
    const key = keyOf(msg.name, oid);
    const waiting = this.waiters.get(key);
    if (waiting) for (const w of [...waiting]) w(msg);
    const h = this.handlers.get(key);
    if (h) h(msg);
    else if (!waiting) this.onUnhandled(msg);
  }
}

function keyOf(name: string, oid: number | null): string {
  return oid === null ? name : `${name}\u0000${oid}`;
}
