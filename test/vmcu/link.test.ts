import { describe, expect, test } from "bun:test";
import { crc16, encodeBlock } from "../../src/protocol/index.ts";
import { connect, shutdownReason } from "./setup.ts";

const emptyBlocks = (blocks: { messages: unknown[] }[]) => blocks.filter((b) => b.messages.length === 0);

describe("serial link framing", () => {
  test("each block is acked with the next expected sequence number; responses carry it too", () => {
    const { host } = connect();
    const before = host.blocks.length;
    const sent = host.seq;
    host.send("get_clock");
    const replies = host.blocks.slice(before);
    expect(replies.map((b) => b.messages.map((m) => m.name))).toEqual([["clock"], []]);
    expect(replies.map((b) => b.seq)).toEqual([(sent + 1) & 15, (sent + 1) & 15]);
  });

  test("a retransmitted block is naked and not executed twice", () => {
    const { mcu, host } = connect();
    const block = host.sendPayload(host.dict.encodeCommandText("get_uptime"));
    const n = host.messages("uptime").length;
    const executed = mcu.executed.length;
    const before = host.blocks.length;
    mcu.feed(block); // the same bytes again, as a host retransmits after a lost ack
    expect(host.messages("uptime").length).toBe(n);
    expect(mcu.executed.length).toBe(executed);
    const nak = host.blocks.slice(before);
    expect(nak.length).toBe(1);
    expect(nak[0]!.messages).toEqual([]);
    expect(nak[0]!.seq).toBe(host.seq);
    expect(mcu.linkStats.outOfSequence).toBe(1);
  });

  test("a block ahead of sequence (one lost) is naked until the missing one arrives", () => {
    const { mcu, host } = connect();
    const lost = encodeBlock(host.seq, host.dict.encodeCommandText("get_clock"));
    const ahead = encodeBlock((host.seq + 1) & 15, host.dict.encodeCommandText("get_uptime"));
    const before = host.blocks.length;
    mcu.feed(ahead);
    expect(host.blocks.slice(before).map((b) => [b.seq, b.messages.length])).toEqual([[host.seq, 0]]);
    mcu.feed(lost);
    mcu.feed(ahead);
    const names = host.blocks.slice(before).flatMap((b) => b.messages.map((m) => m.name));
    expect(names).toEqual(["clock", "uptime"]);
  });

  test("a corrupted block gets one nak, garbage is skipped to the next sync byte, and the link recovers", () => {
    const { mcu, host } = connect();
    const good = encodeBlock(host.seq, host.dict.encodeCommandText("get_clock"));
    const bad = good.slice();
    bad[3]! ^= 0x40; // payload bit flip: CRC mismatch
    const before = host.blocks.length;
    const naksBefore = mcu.linkStats.naks;
    mcu.feed(bad);
    mcu.feed(new Uint8Array([1, 2, 3, 0x7e]));
    expect(mcu.linkStats.naks - naksBefore).toBe(1);
    mcu.feed(good);
    expect(host.blocks.slice(before).flatMap((b) => b.messages.map((m) => m.name))).toEqual(["clock"]);
    expect(emptyBlocks(host.blocks.slice(before)).length).toBe(2); // the nak and the ack
  });

  test("leading sync bytes are ignored without a nak", () => {
    const { mcu, host } = connect();
    const naks = mcu.linkStats.naks;
    mcu.feed(new Uint8Array([0x7e, 0x7e, 0x7e]));
    host.send("get_clock");
    expect(mcu.linkStats.naks).toBe(naks);
    expect(host.last("clock")).toBeDefined();
  });

  test("blocks split at every byte boundary and many blocks in one chunk are both handled", () => {
    const { mcu, host } = connect();
    const a = encodeBlock(host.seq, host.dict.encodeCommandText("get_clock"));
    const b = encodeBlock((host.seq + 1) & 15, host.dict.encodeCommandText("get_uptime"));
    host.seq = (host.seq + 2) & 15;
    for (const byte of a) mcu.feed(new Uint8Array([byte]));
    const c = encodeBlock(host.seq, host.dict.encodeCommandText("get_config"));
    host.seq = (host.seq + 1) & 15;
    mcu.feed(new Uint8Array([...b, ...c]));
    expect(host.messages("clock").length).toBe(1);
    expect(host.messages("uptime").length).toBe(1);
    expect(host.messages("config").length).toBe(1);
  });

  test("an unknown command id shuts down with 'Invalid command' and the MCU keeps answering", () => {
    const { mcu, host } = connect();
    host.sendPayload(new Uint8Array([0x5f])); // id 95: not in the dictionary
    expect(shutdownReason(host)).toBe("Invalid command");
    host.send("get_config");
    expect(host.last("config")!.params.is_shutdown).toBe(1);
    expect(mcu.shutdownReason).toBe("Invalid command");
  });

  test("arguments running past the end of the block are 'Command parser error'", () => {
    const { host } = connect();
    const full = host.dict.encodeCommandText("identify offset=100000 count=40");
    host.sendPayload(full.subarray(0, 3));
    expect(shutdownReason(host)).toBe("Command parser error");
  });

  test("commands before a failing one in the same block still ran", () => {
    const { host } = connect();
    const payload = new Uint8Array([...host.dict.encodeCommandText("get_clock"), 0x5f]);
    host.sendPayload(payload);
    expect(host.messages("clock").length).toBe(1);
    expect(shutdownReason(host)).toBe("Invalid command");
  });

  test("frames the MCU sends are valid blocks (CRC16, sync byte)", () => {
    const { mcu, host } = connect();
    const frames: Uint8Array[] = [];
    mcu.onOutput((b) => frames.push(b));
    host.send("get_clock", "get_uptime", "get_config");
    const bytes = Buffer.concat(frames);
    let pos = 0;
    while (pos < bytes.length) {
      const len = bytes[pos]!;
      const crc = crc16(bytes, pos, pos + len - 3);
      expect([bytes[pos + len - 3], bytes[pos + len - 2], bytes[pos + len - 1]]).toEqual([crc >> 8, crc & 0xff, 0x7e]);
      pos += len;
    }
    expect(pos).toBe(bytes.length);
    expect(bytes.length).toBeGreaterThan(3 * 8); // three responses and an ack
  });
});
