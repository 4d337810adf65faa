// What the Mcu needs from the thing that carries its commands: a live serial
// queue or the batch file writer.
import type { CommandQueue, QueuedCommand } from "./command-queue.ts";

export interface McuLink {
  /** Queue a command; it is transmitted in clock order, never before cmd.minClock. */
  send(queue: CommandQueue, cmd: QueuedCommand): void;
  /** Transmit whatever can go out now (batch: everything). */
  flush(): void;
  close(): Promise<void>;
}
