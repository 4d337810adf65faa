// A transport-only fixture: the web API server with a small test component and a Host whose klippy
// state the test sets (the printer endpoints are tested against the real virtual printer elsewhere).
import * as v from "valibot";
import type { Host, HostStateInfo, KlippyState } from "../../src/core/host.ts";
import { ApiError, endpoint, type ApiComponentFactory, type ApiLog } from "../../src/api/endpoint.ts";
import { startApiServer, type ApiServer } from "../../src/api/server.ts";

/** A Host with only a settable state: the transport reads nothing else. */
export class StateOnlyHost implements Host {
  private info: HostStateInfo = { state: "ready", message: "Printer is ready" };
  private listeners: ((i: HostStateInfo) => void)[] = [];
  setState(state: KlippyState, message: string = state): void {
    this.info = { state, message };
    for (const l of this.listeners) l(this.info);
  }
  state(): HostStateInfo {
    return this.info;
  }
  onStateChange(cb: (i: HostStateInfo) => void): () => void {
    this.listeners.push(cb);
    return () => (this.listeners = this.listeners.filter((l) => l !== cb));
  }
  call(): Promise<unknown> {
    return Promise.reject(new Error("StateOnlyHost has no endpoints"));
  }
  endpoints(): string[] {
    return [];
  }
  subscribeObjects(): never {
    throw new Error("StateOnlyHost has no objects");
  }
  onGcodeOutput(): () => void {
    return () => {};
  }
}

export const quietLog: ApiLog & { lines: string[] } = {
  lines: [],
  info(m) {
    this.lines.push(m);
  },
  warn(m) {
    this.lines.push(m);
  },
  error(m) {
    this.lines.push(m);
  },
};

export const testComponent: ApiComponentFactory = (ctx) => ({
  name: "test_component",
  endpoints: [
    endpoint({
      path: "/test/echo",
      verbs: ["GET", "POST"],
      rpcNames: { GET: "test.echo", POST: "test.echo" },
      params: v.record(v.string(), v.unknown()),
      handler: ({ params, caller }) => ({ params, transport: caller.transport, connectionId: caller.connectionId }),
    }),
    endpoint({
      path: "/test/item",
      verbs: ["GET", "POST", "DELETE"],
      params: v.object({}),
      handler: ({ verb }) => verb,
    }),
    endpoint({
      path: "/test/typed",
      verbs: ["GET"],
      params: v.object({ count: v.number(), flag: v.optional(v.boolean()) }),
      handler: ({ params }) => params.count * 2,
    }),
    endpoint({
      path: "/test/ready_only",
      verbs: ["POST"],
      needsKlippy: true,
      params: v.object({}),
      handler: () => "ran",
    }),
    endpoint({
      path: "/test/connected_only",
      verbs: ["GET"],
      needsKlippy: "connected",
      params: v.object({}),
      handler: () => "ran",
    }),
    endpoint({
      path: "/test/fail",
      verbs: ["GET"],
      params: v.object({ status: v.optional(v.number()) }),
      handler: ({ params }) => {
        if (params.status === undefined) throw new Error("boom");
        throw new ApiError(`failed with ${params.status}`, params.status);
      },
    }),
    endpoint({
      path: "/test/notify",
      verbs: ["POST"],
      params: v.object({ text: v.string() }),
      handler: ({ params }) => {
        ctx.notify("notify_test", [params.text]);
        return "ok";
      },
    }),
    endpoint({
      path: "/test/ws_only",
      verbs: ["GET"],
      transports: ["websocket"],
      params: v.object({}),
      handler: ({ connection }) => connection?.id ?? null,
    }),
  ],
});

export async function startTransportServer(host = new StateOnlyHost()): Promise<{ server: ApiServer; host: StateOnlyHost }> {
  const server = await startApiServer({ host, dataDir: "/nonexistent-not-used", port: 0, hostname: "127.0.0.1", components: [testComponent], log: quietLog });
  return { server, host };
}
