// The "webhooks" status object: the printer's state ("ready", "startup", "shutdown", "error")
// and its state message, as Klipper reports them.
import { type Printer, registerModule } from "../printer.ts";

export class WebhooksStatus {
  constructor(private readonly printer: Printer) {}

  getStatus(_eventtime?: number): { state: string; state_message: string } {
    const [stateMessage, state] = this.printer.getStateMessage();
    return { state, state_message: stateMessage };
  }
}

registerModule("webhooks", (_config, printer) => new WebhooksStatus(printer), { always: true });
