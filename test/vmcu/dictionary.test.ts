import { SHARED_REFERENCE, loadDict } from "../support/reference.ts";
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { VirtualMcu } from "../../firmware-bridge/index.ts";
import { TestHost } from "./host.ts";
import { connect } from "./setup.ts";

const realDict = loadDict("stm32f446.dict");

describe("data dictionary served through identify", () => {
  test("reassembled from 40-byte identify chunks it is the zlib JSON dictionary the MCU declares", () => {
    const { mcu, host } = connect();
    const chunks = host.messages("identify_response");
    expect(chunks.length).toBeGreaterThan(5);
    const sizes = chunks.map((c) => (c.params.data as Uint8Array).length);
    expect(sizes.slice(0, -2).every((n) => n === 40)).toBe(true);
    expect(sizes.at(-2)).toBeGreaterThan(0);
    expect((chunks.at(-1)!.params.data as Uint8Array).length).toBe(0);
    expect(host.dict.json).toEqual(JSON.parse(mcu.dictionaryText));
    expect(host.dict.commandId("identify")).toBe(1);
    expect(host.dict.responseId("identify_response")).toBe(0);
  });

  test("declares the constants a host needs, with a configurable CLOCK_FREQ", () => {
    const { host } = connect({ clockFreq: 48_000_000, serialBaud: 250000 });
    expect(host.dict.clockFreq).toBe(48_000_000);
    for (const k of ["MCU", "ADC_MAX", "PWM_MAX", "STATS_SUMSQ_BASE", "RECEIVE_WINDOW", "SERIAL_BAUD"]) expect(host.dict.constants[k]).toBeDefined();
    expect(host.dict.constants.SERIAL_BAUD).toBe(250000);
  });

  test("an unusable clock frequency is a clear error", () => {
    expect(() => new VirtualMcu({ clockFreq: 12_345_678 })).toThrow(/whole number of MHz/);
  });

  test("every command and response format is exactly the one real Klipper firmware declares", () => {
    const { host } = connect();
    const real = new Map(realDict.messages.map((m) => [m.name, m.format]));
    const ours = host.dict.messages.filter((m) => m.name !== "reset");
    expect(ours.length).toBeGreaterThan(35);
    for (const m of ours) expect(`${m.name}: ${m.format}`).toBe(`${m.name}: ${real.get(m.name)}`);
  });

  test("pins resolve like on a real STM32 board, and AVR-style ports up to PL exist too", () => {
    const { host } = connect();
    for (const pin of ["PA0", "PB7", "PC13", "PH15"]) expect(host.dict.enumValue("pin", pin)).toBe(realDict.enumValue("pin", pin));
    // STM32 numbering continued: port index · 16 + pin
    expect(host.dict.enumValue("pin", "PK7")).toBe(10 * 16 + 7);
    expect(host.dict.enumValue("pin", "PL15")).toBe(11 * 16 + 15);
  });

  test("the printer.cfg of every reference case uses only pins this MCU has", () => {
    const { host } = connect();
    const cases = `${SHARED_REFERENCE}/klipper/cases`;
    let checked = 0;
    for (const name of readdirSync(cases)) {
      const cfg = join(cases, name, "printer.cfg");
      if (!existsSync(cfg)) continue;
      for (const m of readFileSync(cfg, "utf8").matchAll(/^\w*pin\w*\s*[:=]\s*[\^~!]*(?:\w+:)?(P[A-Z]\d+)\s*$/gm)) {
        expect(() => host.dict.enumValue("pin", m[1]!)).not.toThrow();
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  test("shutdown reasons are the firmware's static strings", () => {
    const { host } = connect();
    const ours = host.dict.enumerations.get("static_string_id")!;
    const real = realDict.enumerations.get("static_string_id")!;
    for (const symbol of ours.bySymbol.keys()) expect(real.bySymbol.has(symbol)).toBe(true);
  });

  test("a response too big for a block is dropped, as firmware drops it", () => {
    const { mcu, host } = connect();
    const n = host.messages("identify_response").length;
    host.send("identify offset=0 count=200");
    expect(host.messages("identify_response").length).toBe(n);
    expect(mcu.firmware.droppedResponses).toBe(1);
    host.send("get_clock");
    expect(host.last("clock")).toBeDefined();
  });

  test("identify past the end returns no data", () => {
    const mcu = new VirtualMcu({ clock: "manual" });
    const host = new TestHost(mcu);
    host.send("identify offset=1000000 count=40");
    expect((host.last("identify_response")!.params.data as Uint8Array).length).toBe(0);
  });
});
