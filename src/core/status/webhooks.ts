// The "webhooks" status object: the printer's state ("ready", "startup", "shutdown", "error")
// and its state message, as Klipper reports them. Like Klipper's, it exists from the start (the
// live printer adds it before reading the config), so even a config error can be reported.
import type { Printer } from "../printer.ts";

export class WebhooksStatus {
  constructor(private readonly printer: Printer) {}

  getStatus(_eventtime?: number): { state: string; state_message: string } {
    const [stateMessage, state] = this.printer.getStateMessage();
    return { state, state_message: stateMessage };
  }
}
