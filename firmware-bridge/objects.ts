// Object ids and the move-node pool of the firmware (basecmd.c): the host numbers every configured
// object (stepper, endstop, ...) with an oid, and all queued moves share one pool of nodes whose
// size is fixed by finalize_config and reported as move_count.

import type { ShutdownReason } from "./reasons.ts";

type Shutdown = (reason: ShutdownReason) => never;

export class MovePool {
  /** Nodes available after finalize_config; 0 before (the firmware's "is finalized" test). */
  size = 0;
  private inUse = 0;

  constructor(private readonly shutdown: Shutdown) {}

  get finalized(): boolean {
    return this.size !== 0;
  }
  finalize(size: number): void {
    if (this.finalized) this.shutdown("Already finalized");
    this.size = size;
  }
  /** Claims a node for a queued move (firmware move_alloc). */
  alloc(): void {
    if (this.inUse >= this.size) this.shutdown("Move queue overflow");
    this.inUse++;
  }
  free(n = 1): void {
    this.inUse -= n;
  }
  /** Every node back in the pool (shutdown). */
  reset(): void {
    this.inUse = 0;
  }
  /** Firmware move_queue_setup: a move queue can only be created before finalize_config. */
  setupQueue(): void {
    if (this.finalized) this.shutdown("Invalid move request size");
  }
}

export class OidTable {
  private slots: ({ type: string; data: unknown } | undefined)[] | null = null;

  constructor(
    private readonly shutdown: Shutdown,
    private readonly finalized: () => boolean,
  ) {}

  /** allocate_oids: the table size, once. */
  allocate(count: number): void {
    if (this.slots) this.shutdown("oids already allocated");
    this.slots = new Array(count).fill(undefined);
  }

  alloc<T>(oid: number, type: string, data: T): T {
    oid &= 0xff;
    if (!this.slots || oid >= this.slots.length || this.slots[oid] || this.finalized()) this.shutdown("Can't assign oid");
    this.slots[oid] = { type, data };
    return data;
  }

  lookup<T>(oid: number, type: string): T {
    const o = this.slots?.[oid & 0xff];
    if (!o || o.type !== type) this.shutdown("Invalid oid type");
    return o.data as T;
  }

  /** All objects of a type with their oids, in oid order (firmware foreach_oid). */
  *ofType<T>(type: string): Generator<[number, T]> {
    const slots = this.slots ?? [];
    for (let i = 0; i < slots.length; i++) if (slots[i]?.type === type) yield [i, slots[i]!.data as T];
  }
}
