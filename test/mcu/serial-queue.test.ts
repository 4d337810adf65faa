// The serial queue against a test peer that speaks only the block protocol
// (ack/nak/sequence rules of the firmware), over an in-process wire that can
// drop and corrupt bytes with a fixed seed.
import { afterEach, describe, expect, test } from "bun:test";
import { CommandQueue } from "../../src/mcu/command-queue.ts";
import { SerialQueue } from "../../src/mcu/serial-queue.ts";
import { BlockPeer, LossyWire } from "./block-peer.ts";

const open: SerialQueue[] = [];
afterEach(async () => {
  for (const q of open.splice(0)) await q.close();
});

function setup(opts: { seed?: number; drop?: number; corrupt?: number; window?: number } = {}) {
  const seed = opts.seed ?? 1;
  let host!: SerialQueue;
  const toHost = new LossyWire((b) => host.receive(b), seed * 2 + 1, opts.drop, opts.corrupt);
  let peer!: BlockPeer;
  const toPeer = new LossyWire((b) => peer.receive(b), seed * 2, opts.drop, opts.corrupt);
  peer = new BlockPeer((b) => toHost.send(b));
  host = new SerialQueue({ write: (b) => toPeer.send(b), onBlock: () => {} });
  if (opts.window) host.setReceiveWindow(opts.window);
  open.push(host);
  return { host, peer, toHost, toPeer };
}

/** Split accepted payloads into the 4-byte test messages [queue, n>>8, n&255, 0xaa]. */
function messagesOf(peer: BlockPeer): [number, number][] {
  const out: [number, number][] = [];
  for (const p of peer.accepted) {
    expect(p.length % 4).toBe(0);
    for (let i = 0; i < p.length; i += 4) out.push([p[i]!, (p[i + 1]! << 8) | p[i + 2]!]);
  }
  return out;
}

function sendMany(host: SerialQueue, queues: CommandQueue[], perQueue: number): Promise<void> {
  let remaining = queues.length * perQueue;
  return new Promise((resolve) => {
    for (let n = 0; n < perQueue; n++)
      queues.forEach((q, qi) => {
        const data = Uint8Array.of(qi, n >> 8, n & 0xff, 0xaa);
        host.send(q, { data, minClock: 0, reqClock: n * 10 + qi, onAck: () => --remaining === 0 && resolve() });
      });
  });
}

function expectExactlyOnceInOrder(peer: BlockPeer, queues: number, perQueue: number) {
  const msgs = messagesOf(peer);
  expect(msgs.length).toBe(queues * perQueue);
  for (let q = 0; q < queues; q++) {
    const seq = msgs.filter(([qi]) => qi === q).map(([, n]) => n);
    expect(seq).toEqual([...Array(perQueue).keys()]);
  }
}

describe("SerialQueue", () => {
  test("delivers every command once, in order per queue, packed into blocks, and reports acks", async () => {
    const { host, peer } = setup();
    await sendMany(host, [new CommandQueue(), new CommandQueue(), new CommandQueue()], 500);
    expectExactlyOnceInOrder(peer, 3, 500);
    expect(peer.accepted.length).toBeLessThan(1500 / 10); // ~14 messages per block, not one each
    const s = host.stats();
    expect(s.bytes_retransmit).toBe(0);
    expect(s.ready_bytes + s.upcoming_bytes).toBe(0);
    expect(s.srtt).toBeGreaterThan(0);
  });

  test("survives 0.5% dropped and 0.5% corrupted bytes in both directions without loss or duplication", async () => {
    const { host, peer, toHost, toPeer } = setup({ seed: 7, drop: 0.005, corrupt: 0.005 });
    await sendMany(host, [new CommandQueue(), new CommandQueue()], 1000);
    expectExactlyOnceInOrder(peer, 2, 1000);
    const s = host.stats();
    expect(toPeer.faults.dropped + toPeer.faults.corrupted).toBeGreaterThan(100);
    expect(toHost.faults.dropped + toHost.faults.corrupted).toBeGreaterThan(10);
    expect(s.bytes_retransmit).toBeGreaterThan(0);
    expect(s.bytes_invalid).toBeGreaterThan(0);
    expect(peer.naks).toBeGreaterThan(0);
  }, 60_000);

  test("never has more unacknowledged bytes in flight than the receive window", async () => {
    const { host, peer } = setup({ window: 192 });
    peer.answering = false; // swallow everything: no acks come back
    const q = new CommandQueue();
    for (let n = 0; n < 300; n++) host.send(q, { data: Uint8Array.of(0, n >> 8, n & 0xff, 0xaa), minClock: 0, reqClock: 0 });
    await new Promise<void>((r) => {
      const poll = () => (host.stats().bytes_retransmit > 0 ? r() : setTimeout(poll, 5));
      poll();
    });
    const s = host.stats();
    expect(s.bytes_write).toBeLessThanOrEqual(192);
    expect(s.bytes_write).toBeGreaterThan(0);
    expect(s.ready_bytes).toBeGreaterThan(1000);
    // Once the peer answers again, the retransmits get through and the rest follows.
    peer.answering = true;
    await new Promise<void>((r) => {
      const poll = () => (messagesOf(peer).length === 300 ? r() : setTimeout(poll, 5));
      poll();
    });
    expectExactlyOnceInOrder(peer, 1, 300);
  });

  test("retransmit timeout backs off while the peer is silent, but not beyond 1 s", async () => {
    const { host, peer } = setup();
    peer.answering = false;
    host.send(new CommandQueue(), { data: Uint8Array.of(0, 0, 0, 0xaa), minClock: 0, reqClock: 0 });
    const rtos: number[] = [];
    await new Promise<void>((r) => {
      const poll = () => {
        const s = host.stats();
        if (rtos.at(-1) !== s.rto) rtos.push(s.rto);
        if (s.retransmit_timeout >= 8) r();
        else setTimeout(poll, 5);
      };
      poll();
    });
    expect(rtos.slice(0, 7)).toEqual([0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1]);
    expect(Math.max(...rtos)).toBe(1);
    expect(host.stats().bytes_retransmit).toBeGreaterThanOrEqual(8 * 10);
  }, 15_000);

  test("holds a command until the estimated MCU clock reaches its minClock", async () => {
    const { host, peer } = setup();
    const now = performance.now() / 1000;
    host.setClockEstimate(1_000_000, now, 0); // 1 MHz MCU clock, 0 at now
    const q = new CommandQueue();
    const acked = new Promise<number>((r) =>
      host.send(q, { data: Uint8Array.of(0, 0, 0, 0xaa), minClock: 50_000, reqClock: 60_000, onAck: () => r(performance.now() / 1000) }),
    );
    const t = await acked;
    expect(t - now).toBeGreaterThanOrEqual(0.05 - 0.002);
    expect(peer.accepted.length).toBe(1);
  });

  test("a closed queue fails pending acknowledgements instead of hanging", async () => {
    const { host, peer } = setup();
    peer.answering = false;
    const result = new Promise((r) => host.send(new CommandQueue(), { data: Uint8Array.of(1, 2, 3, 4), minClock: 0, reqClock: 0, onAck: r }));
    setTimeout(() => host.close(), 20);
    expect(await result).toBeNull();
  });
});
