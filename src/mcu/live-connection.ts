// The live link to one MCU: a serial queue over a byte transport, decoding of the
// blocks that come back, queries with retry (send, wait for the ack, check
// that the response came), and the identify handshake that fetches the
// firmware's data dictionary.
import { DataDictionary, ProtocolError } from "../protocol/index.ts";
import { CommandQueue, type QueuedCommand } from "./command-queue.ts";
import type { McuLink } from "./link.ts";
import type { McuLogger } from "./logger.ts";
import type { ResponseDispatcher, ResponseMessage } from "./response-dispatch.ts";
import { monotonic, type ReceivedBlock, SerialQueue } from "./serial-queue.ts";
import type { ByteTransport } from "./transport/index.ts";

/** Bytes of dictionary asked for per identify request (fits one response block). */
const IDENTIFY_CHUNK = 40;
const QUERY_RETRIES = 5;
const QUERY_RETRY_DELAY = 0.01;
/** Handshake queries (identify) fail after this long without an answer. */
const HANDSHAKE_TIMEOUT = 5.0;
/** Warnings about one kind of bad input are logged this many times, then counted. */
const WARN_LIMIT = 10;

export class QueryError extends Error {}

export interface QueryOptions {
  oid?: number | null;
  queue?: CommandQueue;
  minClock?: number;
  reqClock?: number;
  /** Seconds to wait for any answer; by default a query waits until the link is declared lost. */
  timeout?: number;
}

export class LiveConnection implements McuLink {
  dict = DataDictionary.bootstrap();
  /** Until identify completes only the bootstrap messages are known; others are expected noise. */
  private identified = false;
  readonly serial: SerialQueue;
  readonly defaultQueue = new CommandQueue();
  private closed = false;
  /** Bad input survived: undecodable blocks, unknown message ids. */
  readonly inputErrors = { badBlocks: 0, unknownMessages: 0 };
  private readonly warnCounts = new Map<string, number>();
  private readonly pendingQueries = new Set<(e: Error) => void>();
  /** Called once if the transport goes away on its own. */
  onTransportClosed: (err?: Error) => void = () => {};

  constructor(
    readonly mcuName: string,
    private readonly transport: ByteTransport,
    private readonly dispatcher: ResponseDispatcher,
    private readonly log: McuLogger,
  ) {
    this.serial = new SerialQueue({
      write: (bytes) => this.write(bytes),
      onBlock: (b) => this.handleBlock(b),
      onStrayBlock: (payload) => this.handleStrayBlock(payload),
    });
  }

  start(): void {
    this.transport.onData((chunk) => this.serial.receive(chunk));
    this.transport.onClose((err) => {
      if (this.closed) return;
      this.closed = true;
      void this.serial.close();
      this.onTransportClosed(err);
    });
  }

  private write(bytes: Uint8Array): void {
    if (this.closed) return;
    try {
      this.transport.write(bytes);
    } catch (e) {
      // The transport reports its own closing through onClose; nothing more to do here.
      this.warnLimited("write", `write failed: ${(e as Error).message}`);
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  send(queue: CommandQueue, cmd: QueuedCommand): void {
    this.serial.send(queue, cmd);
  }

  flush(): void {
    this.serial.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.serial.close();
    await this.transport.close();
  }

  /** Fetch the data dictionary in chunks with the bootstrap identify command. */
  async identify(): Promise<DataDictionary> {
    const chunks: Uint8Array[] = [];
    let offset = 0;
    for (;;) {
      const resp = await this.query(`identify offset=${offset} count=${IDENTIFY_CHUNK}`, "identify_response", { timeout: HANDSHAKE_TIMEOUT });
      if (resp.params.offset !== offset) continue; // a stale answer to an earlier try
      const data = resp.params.data;
      if (!(data instanceof Uint8Array)) throw new QueryError(`MCU '${this.mcuName}': identify_response without data`);
      if (data.length === 0) break;
      chunks.push(data);
      offset += data.length;
    }
    const all = new Uint8Array(offset);
    let pos = 0;
    for (const c of chunks) {
      all.set(c, pos);
      pos += c.length;
    }
    this.dict = DataDictionary.fromZlib(all);
    this.identified = true;
    return this.dict;
  }

  /**
   * Send a command and resolve with the named response. Like klippy: wait
   * for the block's ack, and resend (backing off) if the response did not
   * arrive with it; fail after a few tries or when nothing answers at all.
   */
  query(line: string, response: string, opts: QueryOptions = {}): Promise<ResponseMessage> {
    const encoded = this.encode(line);
    let got: ResponseMessage | null = null;
    const stopWaiting = this.dispatcher.addWaiter(response, opts.oid ?? null, (msg) => {
      got ??= msg;
    });
    return new Promise<ResponseMessage>((resolve, reject) => {
      let retries = QUERY_RETRIES;
      let delay = QUERY_RETRY_DELAY;
      const timeout =
        opts.timeout === undefined
          ? null
          : setTimeout(
              () => finish(new QueryError(`Timeout waiting for '${response}' from MCU '${this.mcuName}' (no answer in ${opts.timeout} s)`)),
              opts.timeout * 1000,
            );
      let done = false;
      const finish = (result: ResponseMessage | Error) => {
        if (done) return;
        done = true;
        if (timeout) clearTimeout(timeout);
        this.pendingQueries.delete(finish);
        stopWaiting();
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      if (this.closed) return finish(new QueryError(`Serial connection to MCU '${this.mcuName}' closed`));
      this.pendingQueries.add(finish);
      const attempt = () => {
        if (done) return;
        this.serial.send(opts.queue ?? this.defaultQueue, {
          data: encoded,
          minClock: opts.minClock ?? 0,
          reqClock: opts.reqClock ?? 0,
          onAck: (ack) => {
            if (got) return finish(got);
            if (!ack) return finish(new QueryError(`Serial connection to MCU '${this.mcuName}' closed`));
            if (retries-- <= 0) return finish(new QueryError(`Unable to obtain '${response}' response from MCU '${this.mcuName}'`));
            setTimeout(attempt, delay * 1000);
            delay *= 2;
          },
        });
      };
      attempt();
    });
  }

  /** Fail every query still waiting (the link was declared lost). */
  failQueries(reason: string): void {
    for (const finish of [...this.pendingQueries]) finish(new QueryError(reason));
  }

  /** Encode a text command with the current dictionary, naming the MCU on failure. */
  encode(line: string): Uint8Array {
    try {
      return this.dict.encodeCommandText(line);
    } catch (e) {
      throw new Error(`MCU '${this.mcuName}': cannot encode '${line}': ${(e as Error).message}`);
    }
  }

  private handleBlock(block: ReceivedBlock): void {
    let msgs;
    try {
      msgs = this.dict.decodeMessages(block.payload);
    } catch (e) {
      this.inputErrors.badBlocks++;
      this.warnLimited("bad block", `undecodable block from MCU (${(e as ProtocolError).message}): ${hex(block.payload)}`);
      return;
    }
    for (const m of msgs) {
      if (m.name === "#unknown") {
        if (!this.identified) continue; // e.g. periodic stats before the dictionary is loaded
        this.inputErrors.unknownMessages++;
        this.warnLimited("unknown", `unknown message id ${String(m.params["#msgid"])} from MCU: ${hex(m.params["#msg"] as Uint8Array)}`);
        continue;
      }
      if (m.name === "#output") {
        this.log.info(`MCU '${this.mcuName}' output: ${this.dict.formatMessage(m)}`);
        continue;
      }
      const msg: ResponseMessage = { name: m.name, params: m.params, sentTime: block.sentTime, receiveTime: block.receiveTime };
      try {
        this.dispatcher.dispatch(msg);
      } catch (e) {
        this.log.warn(`MCU '${this.mcuName}': error in handler for '${m.name}': ${(e as Error).stack ?? e}`);
      }
    }
  }

  /** Out-of-session blocks are dropped, except a reboot announcement. */
  private handleStrayBlock(payload: Uint8Array): void {
    let msgs;
    try {
      msgs = this.dict.decodeMessages(payload);
    } catch {
      return;
    }
    if (!msgs.some((m) => m.name === "starting")) return;
    this.dispatcher.dispatch({ name: "starting", params: {}, sentTime: 0, receiveTime: monotonic() });
  }

  /** Log a warning of the given kind at most WARN_LIMIT times. */
  warnLimited(kind: string, text: string): void {
    const n = (this.warnCounts.get(kind) ?? 0) + 1;
    this.warnCounts.set(kind, n);
    if (n <= WARN_LIMIT) this.log.warn(`MCU '${this.mcuName}': ${text}${n === WARN_LIMIT ? " (further ones are only counted)" : ""}`);
  }
}

function hex(b: Uint8Array): string {
  return Array.from(b.subarray(0, 64), (x) => x.toString(16).padStart(2, "0")).join("") + (b.length > 64 ? "..." : "");
}
