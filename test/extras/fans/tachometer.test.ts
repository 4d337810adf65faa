// Fan tachometer: counter config lines and RPM from the MCU's counter reports.
import { loadDict } from "../../support/reference.ts";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FrequencyCounter, McuCounter } from "../../../src/extras/fans/tachometer.ts";
import { Mcu } from "../../../src/mcu/mcu.ts";
import { decodeLines } from "../../support/serial.ts";

const dir = mkdtempSync(join(tmpdir(), "stepline-tacho-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const dict = loadDict("atmega2560.dict");

describe("fan tachometer", () => {
  test("config_counter / query_counter, then frequency from successive counts (32-bit wrap included)", async () => {
    const path = join(dir, "tacho.serial");
    const mcu = new Mcu("mcu", { batch: { dict, outputPath: path }, log: { info: () => {}, warn: () => {} } });
    for (let i = 0; i < 3; i++) mcu.createOid();
    const counter = new McuCounter(mcu, "PE4", 1, 1, 0.0015);
    const freq = new FrequencyCounter(counter);
    await mcu.connect();
    const report = (t: number, count: number, countTime: number) =>
      (mcu as unknown as { dispatchResponse(m: unknown): void }).dispatchResponse({
        name: "counter_state",
        params: { oid: 3, next_clock: Math.trunc(t * 16e6) + 24000, count: count >>> 0, count_clock: Math.trunc(countTime * 16e6) },
      });
    report(2, 2 ** 32 - 100, 1.99);
    report(3, 2 ** 32 - 100 + 400, 2.99); // 400 edges in 1 s, across the 32-bit wrap
    // The first report only starts the clock (at its sample time, 2 s); 400 edges by 2.99 s.
    expect(freq.frequency).toBeCloseTo(400 / 0.99, 6);
    report(4, 300, 2.99); // no new edge since: stopped
    expect(freq.frequency).toBe(0);
    await mcu.close();
    const lines = decodeLines(dict, path);
    expect(lines).toContain("config_counter oid=3 pin=PE4 pull_up=1");
    // Query slot: 1 s (rounded from 0 + 1.5) plus 10 ms per oid; 1.5 ms poll; 1 s sample.
    expect(lines).toContain("query_counter oid=3 clock=16480000 poll_ticks=24000 sample_ticks=16000000");
  });
});
