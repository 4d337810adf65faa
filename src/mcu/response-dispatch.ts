// Routes decoded MCU responses to handlers registered by (name, oid).
import type { DecodedMessage } from "../protocol/index.ts";

export type ResponseHandler = (msg: DecodedMessage) => void;

export class ResponseDispatcher {
  private readonly handlers = new Map<string, ResponseHandler>();

  constructor(private readonly onUnhandled: (msg: DecodedMessage) => void) {}

  /** Register (or with cb null, remove) the handler for name with the given oid (null: no oid). */
  register(name: string, oid: number | null, cb: ResponseHandler | null): void {
    const key = keyOf(name, oid);
    if (cb) this.handlers.set(key, cb);
    else this.handlers.delete(key);
  }

  has(name: string, oid: number | null): boolean {
    return this.handlers.has(keyOf(name, oid));
  }

  dispatch(msg: DecodedMessage): void {
    const oid = typeof msg.params.oid === "number" ? msg.params.oid : null;
    const h = this.handlers.get(keyOf(msg.name, oid));
    if (h) h(msg);
    else this.onUnhandled(msg);
  }
}

function keyOf(name: string, oid: number | null): string {
  return oid === null ? name : `${name}\u0000${oid}`;
}
