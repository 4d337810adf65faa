// Block framing: the CRC matches Klipper's, and the reader finds every intact block in a stream full
// of garbage, truncated blocks, bad CRCs, bad lengths and bad sequence bytes, without throwing.
import { describe, expect, test } from "bun:test";
import { BlockReader, crc16, encodeBlock, MESSAGE_MAX, MESSAGE_PAYLOAD_MAX, MESSAGE_SYNC, packMessages, ProtocolError } from "../../src/protocol/index.ts";
import { Rng } from "../../scripts/lib/random.ts";

describe("encodeBlock", () => {
  test("CRC16-CCITT check value and the framing layout", () => {
    // Klipper's nibble-wise CRC is the reflected CCITT polynomial with initial value 0xffff
    // (catalogued as CRC-16/MCRF4XX), whose published check value for "123456789" is 0x6f91.
    expect(crc16(new TextEncoder().encode("123456789"))).toBe(0x6f91);
    const b = encodeBlock(0x13, new Uint8Array([1, 2, 3]));
    expect(b.length).toBe(8);
    expect(b[0]).toBe(8);
    expect(b[1]).toBe(0x13); // seq masked to 4 bits, destination bit 0x10
    expect([...b.subarray(2, 5)]).toEqual([1, 2, 3]);
    const crc = crc16(b, 0, 5);
    expect([b[5], b[6], b[7]]).toEqual([crc >> 8, crc & 0xff, MESSAGE_SYNC]);
  });

  test("a payload larger than a block is an error", () => {
    expect(() => encodeBlock(0, new Uint8Array(MESSAGE_PAYLOAD_MAX + 1))).toThrow(ProtocolError);
    expect(encodeBlock(0, new Uint8Array(MESSAGE_PAYLOAD_MAX)).length).toBe(MESSAGE_MAX);
  });
});

describe("packMessages", () => {
  test("keeps order and fills blocks up to the payload limit", () => {
    const rng = new Rng(7);
    const msgs = Array.from({ length: 200 }, () => rng.bytes(rng.int(1, 20)));
    const payloads = packMessages(msgs);
    expect(Buffer.concat(payloads)).toEqual(Buffer.concat(msgs));
    for (const p of payloads) expect(p.length).toBeLessThanOrEqual(MESSAGE_PAYLOAD_MAX);
    // Greedy: the next message would not have fitted into the previous block.
    let i = 0;
    for (const p of payloads.slice(0, -1)) {
      let size = 0;
      while (size < p.length) size += msgs[i++]!.length;
      expect(p.length + msgs[i]!.length).toBeGreaterThan(MESSAGE_PAYLOAD_MAX);
    }
  });
  test("a message too long for any block is an error naming it", () => {
    expect(() => packMessages([new Uint8Array(3), new Uint8Array(60)])).toThrow("message 1 is 60 bytes");
  });
});

type Piece = { kind: "valid"; id: number; bytes: Uint8Array } | { kind: "junk"; what: string; bytes: Uint8Array };

/** A valid block whose payload carries its own id, so recovered blocks can be named. */
function validBlock(rng: Rng, id: number): Uint8Array {
  const payload = rng.bytes(rng.int(2, MESSAGE_PAYLOAD_MAX));
  payload[0] = id & 0xff;
  payload[1] = id >> 8;
  return encodeBlock(id, payload);
}

function junk(rng: Rng): Piece {
  const b = validBlock(rng, 0xffff);
  switch (rng.int(0, 5)) {
    case 0:
      return { kind: "junk", what: "random bytes", bytes: rng.bytes(rng.int(1, 150)) };
    case 1:
      return { kind: "junk", what: "truncated block", bytes: b.subarray(0, rng.int(1, b.length - 1)) };
    case 2: {
      const c = b.slice();
      c[rng.int(2, c.length - 3)]! ^= 1 << rng.int(0, 7);
      return { kind: "junk", what: "bad crc", bytes: c };
    }
    case 3: {
      const c = b.slice();
      c[0] = rng.pick([0, 1, 4, 65, 200, 255]);
      return { kind: "junk", what: "bad length", bytes: c };
    }
    case 4: {
      const c = b.slice(); // a sequence byte without the 0x10 destination bit, CRC recomputed
      c[1] = rng.pick([0x00, 0x25, 0x8f, 0xff]);
      const crc = crc16(c, 0, c.length - 3);
      c[c.length - 3] = crc >> 8;
      c[c.length - 2] = crc & 0xff;
      return { kind: "junk", what: "bad sequence byte", bytes: c };
    }
    default:
      return { kind: "junk", what: "sync bytes", bytes: new Uint8Array(rng.int(1, 5)).fill(MESSAGE_SYNC) };
  }
}

describe("BlockReader", () => {
  test("recovers every valid block interleaved with garbage (3 seeds x 2000 pieces)", () => {
    for (const seed of [1, 2, 3]) {
      const rng = new Rng(seed);
      const pieces: Piece[] = [];
      let nextId = 0;
      for (let i = 0; i < 2000; i++) {
        pieces.push(rng.next() < 0.5 ? { kind: "valid", id: nextId, bytes: validBlock(rng, nextId++) } : junk(rng));
      }
      const stream = Buffer.concat(pieces.map((p) => p.bytes));
      const reader = new BlockReader();
      const seen: number[] = [];
      let maxBuffered = 0;
      for (let pos = 0; pos < stream.length; ) {
        const n = rng.int(1, 300);
        reader.push(stream.subarray(pos, pos + n));
        pos += n;
        for (let b = reader.next(); b; b = reader.next()) {
          const id = b.payload[0]! | (b.payload[1]! << 8);
          if (id !== 0xffff) {
            expect(b.seq).toBe(id & 0x0f); // the sequence number is exposed as sent
            seen.push(id);
          }
        }
        maxBuffered = Math.max(maxBuffered, reader.buffered);
      }
      // Every valid block, once, in order (junk blocks and lucky garbage may add 0xffff blocks).
      expect(seen).toEqual(Array.from({ length: nextId }, (_, i) => i));
      expect(maxBuffered).toBeLessThan(MESSAGE_MAX);
      expect(reader.stats.blocks).toBeGreaterThanOrEqual(nextId);
      expect(reader.stats.bytesDiscarded).toBeGreaterThan(0);
      expect(reader.stats.badCrc).toBeGreaterThan(0);
      expect(reader.stats.badLength).toBeGreaterThan(0);
      expect(reader.stats.badFrame).toBeGreaterThan(0);
    }
  });

  test("pure random input never throws and leaves less than one block buffered", () => {
    const rng = new Rng(99);
    const reader = new BlockReader();
    for (let i = 0; i < 2000; i++) {
      reader.push(rng.bytes(rng.int(0, 700)));
      while (reader.next()) {}
      expect(reader.buffered).toBeLessThan(MESSAGE_MAX);
    }
    expect(reader.stats.bytesDiscarded).toBeGreaterThan(500_000);
  });

  test("a block split into single bytes is assembled; the reader waits for the rest", () => {
    const b = encodeBlock(5, new Uint8Array([9, 8, 7]));
    const reader = new BlockReader();
    for (let i = 0; i < b.length - 1; i++) {
      reader.push(b.subarray(i, i + 1));
      expect(reader.next()).toBeNull();
    }
    reader.push(b.subarray(b.length - 1));
    expect(reader.next()).toEqual({ seq: 5, payload: new Uint8Array([9, 8, 7]) });
    expect(reader.buffered).toBe(0);
  });

  test("a huge chunk is parsed and its memory is given back afterwards", () => {
    const rng = new Rng(5);
    const blocks = Array.from({ length: 20000 }, (_, i) => validBlock(rng, i));
    const reader = new BlockReader();
    reader.push(Buffer.concat(blocks));
    let n = 0;
    while (reader.next()) n++;
    expect(n).toBe(blocks.length);
    reader.push(blocks[0]!);
    expect(reader.next()!.seq).toBe(0);
    // capacity is private; what matters is that small pushes no longer keep the megabyte alive
    expect((reader as unknown as { buf: Uint8Array }).buf.length).toBeLessThan(65536);
  });

  test("payloads returned by next() are copies that later pushes do not touch", () => {
    const reader = new BlockReader();
    reader.push(encodeBlock(1, new Uint8Array([1, 1, 1])));
    const first = reader.next()!;
    reader.push(encodeBlock(2, new Uint8Array([2, 2, 2])));
    expect(reader.next()!.payload).toEqual(new Uint8Array([2, 2, 2]));
    expect(first.payload).toEqual(new Uint8Array([1, 1, 1]));
  });
});
