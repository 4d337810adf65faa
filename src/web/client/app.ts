// What every dashboard panel gets: the websocket, the printer status, and helpers to run G-code
// and to report failures.
import { toast } from "./dom.ts";
import type { Rpc } from "./rpc.ts";
import type { StatusStore } from "./store.ts";

export interface KlippyInfo {
  /** Klipper's state, or "disconnected" / "offline" (no websocket). */
  state: string;
  message: string;
}

export class App {
  klippy: KlippyInfo = { state: "offline", message: "" };
  private klippyListeners = new Set<(k: KlippyInfo) => void>();
  private sentListeners = new Set<(script: string) => void>();

  constructor(
    readonly rpc: Rpc,
    readonly store: StatusStore,
  ) {}

  setKlippy(k: KlippyInfo): void {
    if (k.state === this.klippy.state && k.message === this.klippy.message) return;
    this.klippy = k;
    for (const cb of this.klippyListeners) cb(k);
  }

  onKlippy(cb: (k: KlippyInfo) => void): void {
    this.klippyListeners.add(cb);
  }

  /** Commands the dashboard sends are echoed in the console like Mainsail does. */
  onSent(cb: (script: string) => void): void {
    this.sentListeners.add(cb);
  }

  get ready(): boolean {
    return this.klippy.state === "ready";
  }

  /** Run G-code through printer.gcode.script; errors show as a toast (the console shows "!! …" too). */
  async gcode(script: string): Promise<boolean> {
    for (const cb of this.sentListeners) cb(script);
    return this.run(() => this.rpc.call("printer.gcode.script", { script }));
  }

  /** Run an API call for a button; report a failure instead of throwing. */
  async run(fn: () => Promise<unknown>): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (e) {
      toast((e as Error).message);
      return false;
    }
  }
}
