// The console history Moonraker keeps (server.gcode_store): the last 1000 G-code commands sent
// through the API and the responses the printer printed, oldest first.
import type { Host } from "../../core/host.ts";

export interface GcodeStoreEntry {
  message: string;
  time: number;
  type: "command" | "response";
}

export const GCODE_STORE_SIZE = 1000;

export class GcodeStore {
  private entries: GcodeStoreEntry[] = [];
  private readonly unlisten: () => void;

  constructor(
    host: Host,
    private readonly size = GCODE_STORE_SIZE,
  ) {
    this.unlisten = host.onGcodeOutput((line) => this.add(line, "response"));
  }

  add(message: string, type: GcodeStoreEntry["type"]): void {
    this.entries.push({ message, time: Date.now() / 1000, type });
    // Trim in chunks so a busy console does not shift the array on every line
    if (this.entries.length > this.size + 100) this.entries = this.entries.slice(-this.size);
  }

  /** The newest `count` entries (all when omitted), oldest first. */
  last(count = this.size): GcodeStoreEntry[] {
    return this.entries.slice(-Math.min(count, this.size));
  }

  close(): void {
    this.unlisten();
  }
}
