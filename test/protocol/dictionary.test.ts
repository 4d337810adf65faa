// The data dictionary: loading (plain and zlib), enumerations, encoding by name and from text, and
// errors that name the command, the parameter and the allowed range.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { deflateSync } from "node:zlib";
import { DataDictionary, encodeBlock, ProtocolError } from "../../src/protocol/index.ts";
import { DICT_DIR } from "./helpers.ts";
import { thrownMessage } from "../support/errors.ts";
import { loadDict } from "../support/reference.ts";

const text = (f: string) => readFileSync(DICT_DIR + f, "utf8");
const stm32 = loadDict("stm32f103-serial.dict");
const avr = loadDict("atmega2560.dict");
const linux = loadDict("linuxprocess.dict");

const errorOf = (f: () => unknown) => thrownMessage(ProtocolError, f);

describe("loading", () => {
  test("metadata and constants of a .dict file", () => {
    expect(stm32.version).toBe("v0.13.0-730-g84104bbbd");
    expect(stm32.buildVersions).toContain("gcc");
    expect(stm32.clockFreq).toBe(72_000_000);
    expect(stm32.constants.MCU).toBe("stm32f103xe");
    expect(avr.clockFreq).toBe(16_000_000);
    expect((stm32.json as { app: string }).app).toBe("Klipper");
  });

  test("the zlib form served by identify gives the same dictionary", () => {
    const z = DataDictionary.fromZlib(deflateSync(Buffer.from(text("rp2040.dict"))));
    expect(z.clockFreq).toBe(12_000_000);
    expect(z.commandId("queue_step")).toBe(DataDictionary.fromJson(text("rp2040.dict")).commandId("queue_step"));
    expect(errorOf(() => DataDictionary.fromZlib(new Uint8Array([1, 2, 3])))).toContain("not valid zlib");
  });

  test("bootstrap knows identify (1) and identify_response (0) only", () => {
    const b = DataDictionary.bootstrap();
    expect(b.commandId("identify")).toBe(1);
    expect(b.responseId("identify_response")).toBe(0);
    expect(b.hasCommand("queue_step")).toBe(false);
    expect([...b.encodeCommand("identify", { offset: 0, count: 40 })]).toEqual([1, 0, 40]);
    const data = new TextEncoder().encode('{"x"');
    const [m] = b.decodeMessages(new Uint8Array([0, 0x81, 0x00, data.length, ...data]));
    expect(m).toEqual({ name: "identify_response", params: { offset: 128, data } });
    expect(errorOf(() => b.clockFreq)).toContain("CLOCK_FREQ");
  });

  test("malformed dictionaries are errors, not crashes", () => {
    expect(errorOf(() => DataDictionary.fromJson("{"))).toContain("invalid JSON");
    expect(errorOf(() => DataDictionary.fromJson("[]"))).toContain("not a JSON object");
    expect(errorOf(() => DataDictionary.fromJson('{"commands": {"foo x=%lu": 5}}'))).toContain("bad parameter 'x=%lu'");
    expect(errorOf(() => DataDictionary.fromJson('{"commands": {"foo": "5"}}'))).toContain("non-numeric id");
    expect(errorOf(() => DataDictionary.fromJson('{"commands": {"foo": 1}, "enumerations": {"pin": {"PA0": [0]}}}'))).toContain("'PA0'");
  });
});

describe("enumerations", () => {
  test("pin ranges expand to consecutive values", () => {
    expect(stm32.enumValue("pin", "PA0")).toBe(0);
    expect(stm32.enumValue("pin", "PA15")).toBe(15);
    expect(stm32.enumValue("pin", "PB0")).toBe(16);
    expect(stm32.enumValue("pin", "PC13")).toBe(45);
    expect(avr.enumValue("pin", "PK6")).toBe(8 * 10 + 6); // PA..PL in blocks of 8, no PI
    expect(linux.enumValue("pin", "gpio287")).toBe(287);
    expect(errorOf(() => stm32.enumValue("pin", "PA16"))).toContain("unknown value 'PA16' in enumeration 'pin'");
    expect(errorOf(() => stm32.enumValue("nope", "x"))).toContain("unknown enumeration 'nope'");
  });

  test("static strings: a shutdown reason travels as a number and prints as its text", () => {
    const id = stm32.enumValue("static_string_id", "ADC out of range");
    const bytes = stm32.encodeResponse("shutdown", { clock: 1234, static_string_id: "ADC out of range" });
    expect(bytes[bytes.length - 1]).toBe(id); // a small id fits one byte
    const [m] = stm32.decodeMessages(bytes);
    expect(m).toEqual({ name: "shutdown", params: { clock: 1234, static_string_id: "ADC out of range" } });
    expect(stm32.formatMessage(m!)).toBe("shutdown clock=1234 static_string_id=ADC out of range");
  });

  test("a value with several names decodes to the last one, an unnamed value to ?N", () => {
    const id = linux.commandId("config_digital_out");
    const bytes = linux.encodeCommand("config_digital_out", { oid: 1, pin: "gpio3", value: 0, default_value: 0, max_duration: 0 });
    expect(linux.decodeMessages(bytes)[0]!.params.pin).toBe("gpiochip0/gpio3");
    const raw = linux.encodeCommand("config_digital_out", { oid: 1, pin: 100000, value: 0, default_value: 0, max_duration: 0 });
    const [m] = linux.decodeMessages(raw);
    expect(m!.params.pin).toBe("?100000");
    expect(linux.formatMessage(m!)).toBe("config_digital_out oid=1 pin=?100000 value=0 default_value=0 max_duration=0");
    expect(raw[0]).toBe(id);
  });
});

describe("firmware output() formats", () => {
  const json = JSON.parse(text("rp2040.dict"));
  json.output = { "Stats %u: %.*s done": 120, "plain text": 122 };
  const d = DataDictionary.fromJson(JSON.stringify(json));
  test("decode to '#output' with the rendered text, as Klipper prints them", () => {
    const payload = new Uint8Array([0x80, 0x78, 0x05, 2, 0x61, 0x27, 0x80, 0x7a]);
    const msgs = d.decodeMessages(payload);
    expect(msgs).toEqual([
      { name: "#output", params: { "#msg": `Stats 5: b"a'" done` } },
      { name: "#output", params: { "#msg": "plain text" } },
    ]);
    expect(msgs.map((m) => d.formatMessage(m))).toEqual([`#output Stats 5: b"a'" done`, "#output plain text"]);
  });
  test("a format Klipper can not scan is rejected when loading", () => {
    json.output = { "100%% sure %u": 124 };
    expect(errorOf(() => DataDictionary.fromJson(JSON.stringify(json)))).toContain("invalid output format '100%% sure %u'");
  });
});

describe("encoding", () => {
  test("VLQ bytes of Klipper's protocol documentation and sign handling", () => {
    const cmd = stm32.command("reset_step_clock");
    const enc = (v: number) => [...cmd.encodeValues([0, v])].slice(cmd.idBytes.length + 1);
    expect(enc(0)).toEqual([0x00]);
    expect(enc(95)).toEqual([0x5f]);
    expect(enc(96)).toEqual([0x80, 0x60]);
    expect(enc(0x2fff)).toEqual([0xdf, 0x7f]);
    expect(enc(0x3fff)).toEqual([0x80, 0xff, 0x7f]); // 0x3000 and up: bit 13 would read as a sign
    expect(enc(0xffffffff)).toEqual([0x8f, 0xff, 0xff, 0xff, 0x7f]);
    expect(enc(-1)).toEqual([0x7f]);
    expect(enc(-32)).toEqual([0x60]);
    expect(enc(-33)).toEqual([0xff, 0x5f]);
    expect(enc(-0x80000000)).toEqual([0xf8, 0x80, 0x80, 0x80, 0x00]);
    // %u decodes as unsigned, %i as signed
    const clk = stm32.command("reset_step_clock").encodeValues([0, -1]);
    expect(stm32.decodeMessages(clk)[0]!.params.clock).toBe(0xffffffff);
    // An overlong %u keeps its low 32 bits, as Klipper masks it: 0xff.. sign-extends to all ones,
    // the final 0x7e clears bit 0, so -2 masked
    const long = new Uint8Array([...cmd.idBytes, 0, ...new Array(8).fill(0xff), 0x7e]);
    expect(stm32.decodeMessages(long)[0]!.params.clock).toBe(0xffffffff - 1);
  });

  test("klippy config lines: enums by name, ints in Python syntax, buffers in hex", () => {
    const a = avr.encodeCommandText("config_stepper oid=2 step_pin=PF0 dir_pin=PF1 invert_step=0 step_pulse_ticks=32");
    expect(a).toEqual(avr.encodeCommand("config_stepper", { oid: 2, step_pin: "PF0", dir_pin: "PF1", invert_step: 0, step_pulse_ticks: 32 }));
    expect(avr.formatMessage(avr.decodeMessages(a)[0]!)).toBe("config_stepper oid=2 step_pin=PF0 dir_pin=PF1 invert_step=0 step_pulse_ticks=32");
    // klippy sends invert_step=-1 for both-edge stepping; Klipper then prints the %c as unsigned
    const both = avr.encodeCommandText("config_stepper oid=2 step_pin=PF0 dir_pin=PF1 invert_step=-1 step_pulse_ticks=0x20");
    expect(avr.formatMessage(avr.decodeMessages(both)[0]!)).toBe("config_stepper oid=2 step_pin=PF0 dir_pin=PF1 invert_step=4294967295 step_pulse_ticks=32");
    const spi = stm32.encodeCommandText("spi_send oid=3 data=0a0bFF");
    expect(stm32.decodeMessages(spi)[0]!.params.data).toEqual(new Uint8Array([0x0a, 0x0b, 0xff]));
    expect(stm32.formatMessage(stm32.decodeMessages(spi)[0]!)).toBe("spi_send oid=3 data=b'\\n\\x0b\\xff'");
  });

  test("messages pack into blocks the firmware can parse", () => {
    const m = stm32.encodeCommandText("get_uptime");
    expect(encodeBlock(3, m).length).toBe(5 + m.length);
  });
});

test("64-bit clocks go into 32-bit clock fields as their low 32 bits, as Klipper sends them", () => {
  const wrapped = stm32.encodeCommand("queue_digital_out", { oid: 2, clock: 5 * 2 ** 32 + 1234, on_ticks: 7 });
  expect(wrapped).toEqual(stm32.encodeCommand("queue_digital_out", { oid: 2, clock: 1234, on_ticks: 7 }));
  expect(stm32.encodeCommandText("trsync_start oid=1 report_clock=4294967297 report_ticks=3 expire_reason=0"))
    .toEqual(stm32.encodeCommandText("trsync_start oid=1 report_clock=1 report_ticks=3 expire_reason=0"));
});

describe("bad input names the command, the parameter and the allowed range", () => {
  const good = { oid: 1, interval: 1000, count: 10, add: 0 };
  test("out of range values", () => {
    expect(errorOf(() => stm32.encodeCommand("queue_step", { ...good, count: 70000 }))).toBe("queue_step: parameter 'count' (%hu) value 70000 is out of range -32768..65535");
    expect(errorOf(() => stm32.encodeCommand("queue_step", { ...good, add: 40000 }))).toBe("queue_step: parameter 'add' (%hi) value 40000 is out of range -32768..32767");
    expect(errorOf(() => stm32.encodeCommand("queue_step", { ...good, oid: 256 }))).toBe("queue_step: parameter 'oid' (%c) value 256 is out of range -128..255");
    expect(errorOf(() => stm32.encodeCommand("queue_step", { ...good, interval: 2 ** 32 }))).toBe("queue_step: parameter 'interval' (%u) value 4294967296 is out of range -2147483648..4294967295");
    expect(errorOf(() => stm32.encodeCommandText("queue_step oid=1 interval=1.5 count=1 add=0"))).toContain("parameter 'interval' must be an integer, got '1.5'");
    expect(errorOf(() => stm32.encodeCommand("queue_step", { ...good, interval: 0.5 }))).toContain("'interval' (%u) must be an integer, got 0.5");
    // A pin that exists but does not fit the parameter's wire type
    expect(errorOf(() => linux.encodeCommandText("config_ldc1612_with_intb oid=1 i2c_oid=2 intb_pin=gpio287"))).toContain("'intb_pin' (%c) value 287 is out of range");
  });

  test("unknown and missing names", () => {
    expect(errorOf(() => stm32.encodeCommand("queue_stepp", good))).toContain("unknown command 'queue_stepp'");
    expect(errorOf(() => stm32.encodeCommandText("queue_step oid=1 interval=1 count=1 add=0 speed=3"))).toContain("queue_step: unknown parameter 'speed'");
    expect(errorOf(() => stm32.encodeCommand("queue_step", { oid: 1, interval: 1, count: 1 }))).toBe("queue_step: missing parameter 'add' (parameters: oid=%c interval=%u count=%hu add=%hi)");
    expect(errorOf(() => stm32.encodeCommandText("config_stepper oid=2 step_pin=PZ9 dir_pin=PA1 invert_step=0 step_pulse_ticks=0"))).toBe("config_stepper: parameter 'step_pin': unknown value 'PZ9' in enumeration 'pin'");
    expect(errorOf(() => stm32.encodeCommandText("queue_step oid=1 oid=2"))).toContain("'oid' given twice");
    expect(errorOf(() => stm32.encodeCommandText("queue_step oid"))).toContain("expected key=value, got 'oid'");
    expect(errorOf(() => stm32.encodeCommandText("   "))).toBe("empty command line");
    expect(errorOf(() => stm32.encodeCommandText("spi_send oid=3 data=abc"))).toContain("'data' must be hex bytes");
  });

  test("a message too long for a block", () => {
    expect(errorOf(() => stm32.encodeCommand("spi_send", { oid: 1, data: new Uint8Array(58) }))).toContain("spi_send: encodes to 61 bytes, more than the 59");
  });

  test("truncated payloads and unknown ids when decoding", () => {
    const q = stm32.encodeCommand("queue_step", { ...good, interval: 100000 });
    expect(errorOf(() => stm32.decodeMessages(q.subarray(0, q.length - 2)))).toContain("queue_step: message truncated");
    const [u] = stm32.decodeMessages(new Uint8Array([0x80, 0x64, 0x01, 0x27])); // id 100 is not in this dict
    expect(u!.name).toBe("#unknown");
    expect(u!.params["#msgid"]).toBe(100);
    expect(stm32.formatMessage(u!)).toBe(`#unknown b"\\x80d\\x01'"`);
  });
});
