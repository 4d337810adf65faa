// The byte pipe an MCU link runs over, whatever carries it: a serial port, a pty, or an in-process
// peer (the virtual MCU). Delivery is in order and asynchronous, as on a wire.
export interface ByteTransport {
  /** Queues bytes for sending; the caller may reuse `data` afterwards. Throws once closed. */
  write(data: Uint8Array): void;
  onData(cb: (chunk: Uint8Array) => void): void;
  /** Called once when the transport closes; with an error when it was lost rather than closed. */
  onClose(cb: (err?: Error) => void): void;
  close(): Promise<void>;
}

/** Fan-out of the close notification: fires once, and late subscribers still hear about it. */
export class CloseSignal {
  private listeners: ((err?: Error) => void)[] = [];
  private state: { err?: Error } | null = null;
  get closed(): boolean {
    return this.state !== null;
  }
  add(cb: (err?: Error) => void): void {
    if (this.state) {
      const { err } = this.state;
      queueMicrotask(() => cb(err));
    } else this.listeners.push(cb);
  }
  fire(err?: Error): void {
    if (this.state) return;
    this.state = { err };
    for (const cb of this.listeners.splice(0)) cb(err);
  }
}

/** One end of an in-process pair. */
class PairEnd implements ByteTransport {
  peer!: PairEnd;
  private readonly listeners: ((chunk: Uint8Array) => void)[] = [];
  private inbox: Uint8Array[] = [];
  private scheduled = false;
  readonly closeSignal = new CloseSignal();

  write(data: Uint8Array): void {
    if (this.closeSignal.closed) throw new Error("cannot write: the in-process transport is closed");
    this.peer.receive(data.slice());
  }
  onData(cb: (chunk: Uint8Array) => void): void {
    this.listeners.push(cb);
    this.schedule(); // bytes that came before anyone listened wait in the inbox, like a tty's buffer
  }
  onClose(cb: (err?: Error) => void): void {
    this.closeSignal.add(cb);
  }
  async close(): Promise<void> {
    this.closeSignal.fire();
    this.peer.closeSignal.fire();
  }

  private receive(chunk: Uint8Array): void {
    this.inbox.push(chunk);
    this.schedule();
  }
  // setImmediate, not a microtask: two ends answering each other must not starve the event loop.
  private schedule(): void {
    if (this.scheduled || this.listeners.length === 0 || this.inbox.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const chunks = this.inbox;
      this.inbox = [];
      for (const chunk of chunks) {
        if (this.closeSignal.closed) return;
        for (const cb of this.listeners) cb(chunk);
      }
    });
  }
}

/** Two connected in-process transports: bytes written to one arrive at the other. */
export function createStreamPair(): [ByteTransport, ByteTransport] {
  const a = new PairEnd();
  const b = new PairEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
