// What the Mcu needs from the thing that carries its commands (a live serial
// queue or the batch file writer), and from the byte stream under a live link.
import type { CommandQueue, QueuedCommand } from "./command-queue.ts";

export interface McuLink {
  /** Queue a command; it is transmitted in clock order, never before cmd.minClock. */
  send(queue: CommandQueue, cmd: QueuedCommand): void;
  /** Transmit whatever can go out now (batch: everything). */
  flush(): void;
  close(): Promise<void>;
}

/** A byte stream to an MCU: serial port, pty, or an in-process pair. */
export interface ByteWire {
  write(bytes: Uint8Array): void;
  /** Begin delivering input; onClose fires once when the stream ends or fails. */
  start(onData: (chunk: Uint8Array) => void, onClose: (err?: Error) => void): void;
  close(): Promise<void>;
}
