// The virtual MCU served on an in-process byte stream (src/mcu/transport's createStreamPair).
import { describe, expect, test } from "bun:test";
import { createStreamPair } from "../../src/mcu/transport/index.ts";
import { BlockReader, DataDictionary, encodeBlock } from "../../src/protocol/index.ts";
import { VirtualMcu } from "../../firmware-bridge/index.ts";

describe("VirtualMcu.attach", () => {
  test("answers over a stream pair and stops writing once the stream is closed", async () => {
    const [hostEnd, mcuEnd] = createStreamPair();
    const vmcu = new VirtualMcu({ clock: "manual", logCommands: true });
    vmcu.attach(mcuEnd);
    const dict = DataDictionary.fromJson(vmcu.dictionaryText);
    const reader = new BlockReader();
    const got = new Promise<string[]>((resolve) => {
      const names: string[] = [];
      hostEnd.onData((chunk) => {
        reader.push(chunk);
        for (let b = reader.next(); b; b = reader.next()) names.push(...dict.decodeMessages(b.payload).map((m) => m.name));
        if (names.includes("uptime")) resolve(names);
      });
    });
    hostEnd.write(encodeBlock(0, new Uint8Array([...dict.encodeCommandText("get_clock"), ...dict.encodeCommandText("get_uptime")])));
    expect(await got).toEqual(["clock", "uptime"]);
    await hostEnd.close();
    expect(() => vmcu.feed(encodeBlock(1, dict.encodeCommandText("get_clock")))).not.toThrow();
    expect(vmcu.executed.map((c) => c.name)).toEqual(["get_clock", "get_uptime", "get_clock"]);
  });
});
