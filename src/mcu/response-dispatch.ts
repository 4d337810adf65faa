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

  constructor(private readonly onUnhandled: (msg: ResponseMessage) => void) {}

  /** Register (or with cb null, remove) the handler for name with the given oid (null: no oid). */
  register(name: string, oid: number | null, cb: ResponseHandler | null): void {
    const key = keyOf(name, oid);
    if (cb) this.handlers.set(key, cb);
    else this.handlers.delete(key);
  }

  get(name: string, oid: number | null): ResponseHandler | null {
    return this.handlers.get(keyOf(name, oid)) ?? null;
  }

  dispatch(msg: ResponseMessage): void {
    const oid = typeof msg.params.oid === "number" ? msg.params.oid : null;
    const h = this.handlers.get(keyOf(msg.name, oid));
    if (h) h(msg);
    else this.onUnhandled(msg);
  }
}

function keyOf(name: string, oid: number | null): string {
  return oid === null ? name : `${name}\u0000${oid}`;
}
