// Every endpoint by JSON-RPC name, and the one way a request reaches a handler (HTTP, websocket or
// /server/jsonrpc): klippy-state gating, access check, valibot validation, then the handler.
import * as v from "valibot";
import type { Host } from "../../core/host.ts";
import { ApiError, type ApiConnection, type ApiLog, type Caller, type EndpointDecl, type HttpVerb } from "../endpoint.ts";
import { InvalidParamsError, MethodNotFoundError, toApiError } from "./errors.ts";
import { rpcNamesOf } from "./rpc-names.ts";

export interface MethodEntry {
  name: string;
  verb: HttpVerb;
  decl: EndpointDecl;
}

/** Who is asking; an unauthenticated caller reaches only public endpoints. */
export interface Invocation {
  caller: Caller;
  authenticated: boolean;
  connection: ApiConnection | null;
}

export class MethodTable {
  private readonly methods = new Map<string, MethodEntry>();

  constructor(
    private readonly host: Host,
    private readonly log: ApiLog,
  ) {}

  add(decl: EndpointDecl): void {
    for (const [verb, name] of rpcNamesOf(decl)) {
      // Several verbs may share one name (printer.objects.query over GET and POST): first one wins
      if (this.methods.has(name) && this.methods.get(name)!.decl === decl) continue;
      if (this.methods.has(name)) throw new Error(`web API: method ${name} declared twice (${decl.path})`);
      this.methods.set(name, { name, verb, decl });
    }
  }

  get(name: string): MethodEntry | undefined {
    return this.methods.get(name);
  }

  names(): string[] {
    return [...this.methods.keys()];
  }

  /** Run method `name` (JSON-RPC) with `params`; throws ApiError. */
  async call(name: string, params: unknown, inv: Invocation): Promise<unknown> {
    const entry = this.methods.get(name);
    if (!entry || (entry.decl.transports && !entry.decl.transports.includes(inv.caller.transport))) throw new MethodNotFoundError(name);
    return this.run(entry.decl, entry.verb, params, inv);
  }

  /** Run one declaration for one verb; throws ApiError. */
  async run(decl: EndpointDecl, verb: HttpVerb, params: unknown, inv: Invocation): Promise<unknown> {
    if (!inv.authenticated && !decl.public) throw new ApiError("Unauthorized", 401);
    if (decl.needsKlippy) {
      const { state } = this.host.state();
      if (state === "disconnected") throw new ApiError("Klippy Disconnected", 503);
      if (decl.needsKlippy === true && state !== "ready") throw new ApiError(`Klippy not ready (state: ${state})`, 503);
    }
    const parsed = v.safeParse(decl.params, params ?? {});
    if (!parsed.success) throw new InvalidParamsError(`Invalid params for ${decl.path}: ${describeIssues(parsed.issues)}`);
    try {
      return await decl.handler({ params: parsed.output, verb, caller: inv.caller, connection: inv.connection });
    } catch (e) {
      throw toApiError(e, this.log, decl.path);
    }
  }
}

function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues
    .slice(0, 3)
    .map((i) => {
      const path = i.path?.map((p) => String(p.key)).join(".");
      return path ? `${path}: ${i.message}` : i.message;
    })
    .join("; ");
}
