// Test peer for the serial queue: the firmware's end of the block protocol (firmware-bridge's
// FirmwareLink: sequence check, ack after each accepted block, nak on a gap or garbage, resync at
// the next 0x7e) with no MCU behind it: it records the payloads it accepted and runs no commands.
// LossyWire carries bytes to and from it, dropping and corrupting some (fixed seed).
import { FirmwareLink } from "../../firmware-bridge/link.ts";
import { encodeBlock } from "../../src/protocol/index.ts";
import { seededRandom } from "../../scripts/lib/random.ts";
import { FaultCounter } from "./fault-proxy.ts";

export class BlockPeer {
  /** Payloads of accepted blocks, in order. */
  readonly accepted: Uint8Array[] = [];
  /** When false the peer swallows blocks silently (an MCU that stopped answering). */
  answering = true;
  private readonly link: FirmwareLink;

  constructor(write: (bytes: Uint8Array) => void) {
    this.link = new FirmwareLink(
      (payload) => {
        this.accepted.push(payload);
        return "ack";
      },
      (bytes) => this.answering && write(bytes),
    );
    // The host numbers its first block 1 while a reset firmware expects 0: start one block in,
    // silently, as if an earlier block had gone through.
    this.answering = false;
    this.link.receive(encodeBlock(0, new Uint8Array(0)));
    this.answering = true;
    this.accepted.length = 0;
  }

  get naks(): number {
    return this.link.stats.naks;
  }

  receive(chunk: Uint8Array): void {
    this.link.receive(chunk);
  }
}

/** One direction of a lossy wire: delivers chunks asynchronously, dropping and corrupting bytes. */
export class LossyWire {
  readonly faults: FaultCounter;
  constructor(
    private readonly deliver: (bytes: Uint8Array) => void,
    seed: number,
    dropRate = 0,
    corruptRate = 0,
  ) {
    this.faults = new FaultCounter(seededRandom(seed), { drop: dropRate, corrupt: corruptRate });
  }
  send(bytes: Uint8Array): void {
    const chunk = this.faults.apply(bytes);
    setTimeout(() => this.deliver(chunk), 0);
  }
}
