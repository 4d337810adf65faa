// The Host of a live printer in this process: endpoints are the current printer instance's
// webhooks registry, object subscriptions and G-code output follow the printer across RESTART and
// FIRMWARE_RESTART, and the klippy state goes startup → ready/error → shutdown → disconnected.
import { type Host, HostError, type HostStateInfo, type ObjectSubscription, type StatusRequest, type StatusSnapshot } from "../core/host.ts";
import { createLivePrinter, type LivePrinter, type LivePrinterOptions } from "./live-printer.ts";
import type { Printer } from "../core/printer.ts";
import { hostMonotonic } from "./reactor.ts";

/** Moonraker's wording while no klippy instance is behind the seam. */
const DISCONNECTED: HostStateInfo = { state: "disconnected", message: "Klippy Disconnected" };

/** "ok" acknowledgements belong to the line-based terminal, not to gcode/subscribe_output. */
const isAck = (line: string) => line === "ok" || line.startsWith("ok ");

export class LiveHost implements Host {
  private readonly stateListeners = new Set<(info: HostStateInfo) => void>();
  /** The printer instance currently behind the Host (null between instances and before the first). */
  private instance: Printer | null = null;
  private last: HostStateInfo = DISCONNECTED;

  /** Watch `lp` from before its start() to see its first instance come up. */
  constructor(private readonly lp: LivePrinter) {
    lp.onInstance((p) => this.attach(p));
    lp.onStarted(() => this.changed());
  }

  private attach(p: Printer): void {
    this.instance = p;
    this.changed();
    p.registerEventHandler("klippy:ready", () => this.changed());
    // analyze_shutdown runs after the shutdown message got its final wording
    p.registerEventHandler("klippy:analyze_shutdown", () => this.changed());
    p.registerEventHandler("klippy:disconnect", () => {
      if (this.instance === p) this.instance = null;
      this.changed();
    });
  }

  private changed(): void {
    const now = this.state();
    if (now.state === this.last.state && now.message === this.last.message) return;
    this.last = now;
    for (const cb of [...this.stateListeners]) cb(now);
  }

  state(): HostStateInfo {
    if (!this.instance) return DISCONNECTED;
    const [message, state] = this.instance.getStateMessage();
    return { state, message };
  }

  onStateChange(cb: (info: HostStateInfo) => void): () => void {
    this.stateListeners.add(cb);
    return () => this.stateListeners.delete(cb);
  }

  async call(endpoint: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const p = this.instance;
    if (!p) throw new HostError(DISCONNECTED.message, "not_ready");
    if (!p.webhooks.has(endpoint)) throw new HostError(`webhooks: No registered callback for path '${endpoint}'`, "not_found");
    try {
      return await p.webhooks.call(endpoint, params);
    } catch (e) {
      throw new HostError((e as Error)?.message ?? String(e), "request");
    }
  }

  endpoints(): string[] {
    return this.instance?.webhooks.names() ?? [];
  }

  subscribeObjects(request: StatusRequest, onChange: (changes: StatusSnapshot, eventtime: number) => void): ObjectSubscription {
    const hub = this.lp.status;
    let current = hub.subscribe(request, onChange);
    return {
      status: current.status,
      eventtime: hostMonotonic(),
      update(next: StatusRequest) {
        current.unsubscribe();
        current = hub.subscribe(next, onChange);
        return { status: current.status, eventtime: hostMonotonic() };
      },
      unsubscribe: () => current.unsubscribe(),
    };
  }

  onGcodeOutput(cb: (line: string) => void): () => void {
    return this.lp.onOutput((line) => {
      if (!isAck(line)) cb(line);
    });
  }
}

/** A live printer and its Host, started (first connect attempt finished); stop() shuts both down. */
export async function startLiveHost(opts: LivePrinterOptions): Promise<{ host: LiveHost; printer: LivePrinter; stop(): Promise<void> }> {
  const printer = createLivePrinter(opts);
  const host = new LiveHost(printer);
  await printer.start();
  return { host, printer, stop: () => printer.stop() };
}
