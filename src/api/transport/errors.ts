// Error mapping of the transport: anything a handler throws becomes an ApiError with an HTTP
// status; JSON-RPC gets Moonraker's codes (404 → -32601, 401 → -32602, invalid params → -32602).
import { HostError } from "../../core/host.ts";
import { ApiError, type ApiLog } from "../endpoint.ts";

/** Params that failed validation: HTTP 400, JSON-RPC -32602 "Invalid params". */
export class InvalidParamsError extends ApiError {
  constructor(message: string) {
    super(message, 400);
  }
}

/** A method no component declares: HTTP 404, JSON-RPC -32601 "Method not found". */
export class MethodNotFoundError extends ApiError {
  constructor(method: string) {
    super(`Method not found: ${method}`, 404);
  }
}

/** Whatever a handler threw, as the ApiError the client gets (unexpected ones logged, 500). */
export function toApiError(e: unknown, log: ApiLog, where: string): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof HostError) {
    if (e.kind === "not_found") return new ApiError(e.message, 404);
    if (e.kind === "not_ready") return new ApiError(e.message, 503);
    return new ApiError(e.message, 400);
  }
  log.error(`${where}: internal error: ${(e as Error)?.stack ?? String(e)}`);
  return new ApiError(`Internal error: ${(e as Error)?.message ?? String(e)}`, 500);
}

/** The JSON-RPC error code for an ApiError (Moonraker's remapping; other statuses pass through). */
export function jsonRpcCode(err: ApiError): number {
  if (err instanceof InvalidParamsError) return -32602;
  if (err.status === 404) return -32601;
  if (err.status === 401) return -32602;
  return err.status;
}
