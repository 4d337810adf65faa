// JSON-RPC 2.0 over a websocket frame or POST /server/jsonrpc: single requests and batches, ids
// echoed, notifications (no id) answered with nothing, Moonraker's error codes.
import type { ApiLog } from "../endpoint.ts";
import { jsonRpcCode, toApiError } from "./errors.ts";
import type { Invocation, MethodTable } from "./method-table.ts";

type Id = string | number | null;
interface RpcReply {
  jsonrpc: "2.0";
  id: Id;
  result?: unknown;
  error?: { code: number; message: string };
}

function errorReply(id: Id, code: number, message: string): RpcReply {
  return { jsonrpc: "2.0", error: { code, message }, id };
}

function validId(id: unknown): id is Id {
  return id === null || typeof id === "string" || (typeof id === "number" && Number.isFinite(id));
}

async function handleOne(msg: unknown, methods: MethodTable, inv: Invocation, log: ApiLog): Promise<RpcReply | null> {
  if (msg === null || typeof msg !== "object" || Array.isArray(msg)) return errorReply(null, -32600, "Invalid Request");
  const req = msg as Record<string, unknown>;
  const hasId = "id" in req;
  const id = validId(req.id) ? req.id : null;
  if (req.jsonrpc !== "2.0" || typeof req.method !== "string" || (hasId && !validId(req.id))) return errorReply(id, -32600, "Invalid Request");
  const params = req.params;
  // Moonraker accepts only by-name params (an object); positional arrays are invalid
  if (params !== undefined && (params === null || typeof params !== "object" || Array.isArray(params))) {
    return hasId ? errorReply(id, -32602, "Invalid params: expected an object") : null;
  }
  try {
    const result = await methods.call(req.method, params ?? {}, inv);
    return hasId ? { jsonrpc: "2.0", result: result === undefined ? "ok" : result, id } : null;
  } catch (e) {
    const err = toApiError(e, log, req.method);
    return hasId ? errorReply(id, jsonRpcCode(err), err.message) : null;
  }
}

/** Answer one frame's text; null when nothing is to be sent (only notifications). */
export async function handleJsonRpc(text: string, methods: MethodTable, inv: Invocation, log: ApiLog): Promise<string | null> {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return JSON.stringify(errorReply(null, -32700, "Parse error"));
  }
  if (Array.isArray(msg)) {
    if (msg.length === 0) return JSON.stringify(errorReply(null, -32600, "Invalid Request"));
    const replies = (await Promise.all(msg.map((m) => handleOne(m, methods, inv, log)))).filter((r): r is RpcReply => r !== null);
    return replies.length > 0 ? JSON.stringify(replies) : null;
  }
  const reply = await handleOne(msg, methods, inv, log);
  return reply ? JSON.stringify(reply) : null;
}
