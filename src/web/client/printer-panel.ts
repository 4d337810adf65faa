// Header and printer card: connection and klippy state, shutdown/error reason, the M117 display
// message, emergency stop, firmware restart and host restart.
import type { App } from "./app.ts";
import { byId, setText } from "./dom.ts";
import { str } from "./store.ts";

const STATE_CLASS: Record<string, string> = { ready: "ok", startup: "warn", shutdown: "bad", error: "bad", disconnected: "bad", offline: "bad" };

export function printerPanel(app: App): void {
  const stateBadge = byId("klippy-state");
  const stateMessage = byId("state-message");
  const display = byId("display-message");
  byId("estop").addEventListener("click", () => void app.run(() => app.rpc.call("printer.emergency_stop")));
  byId("firmware-restart").addEventListener("click", () => void app.run(() => app.rpc.call("printer.firmware_restart")));
  byId("host-restart").addEventListener("click", () => void app.run(() => app.rpc.call("printer.restart")));
  app.onKlippy((k) => {
    setText(stateBadge, k.state);
    stateBadge.className = `badge ${STATE_CLASS[k.state] ?? ""}`;
    setText(stateMessage, k.state === "ready" ? "" : k.message);
  });
  app.store.subscribe(() => {
    const msg = str(app.store.get("display_status"), "message") || str(app.store.get("print_stats"), "message");
    setText(display, msg);
  });
}
