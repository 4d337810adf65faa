// Klipper MCU wire protocol: framing, data dictionaries, message encoding and decoding. Pure codec:
// no I/O, no time.
//
//   const dict = DataDictionary.fromJson(text)            // or fromZlib(identify data), bootstrap()
//   dict.encodeCommandText("config_stepper oid=2 step_pin=PF0 dir_pin=PF1 invert_step=0 step_pulse_ticks=32")
//   const q = dict.command("queue_step")                  // MessageFormat: encodeValues([oid, interval, count, add])
//   for (const payload of packMessages(msgs)) write(encodeBlock(seq++, payload))
//   reader.push(bytes); for (let b = reader.next(); b; b = reader.next()) dict.decodeMessages(b.payload)
//
// Decoded values follow Klipper's host parser: %u/%hu/%c as unsigned 32-bit, %i/%hi signed,
// enumerated parameters as their symbol (or "?N"), %s/%*s/%.*s as a Uint8Array copy.
// Encoding checks every value against its wire type (unsigned types also take negatives down to the
// signed minimum of their width, as klippy sends invert_step=-1) and throws ProtocolError otherwise.
export * from "./constants.ts";
export { ProtocolError } from "./errors.ts";
export { crc16 } from "./crc16.ts";
export { encodeBlock, frameBlockAt, packMessages, BlockReader, type BlockStats } from "./block.ts";
export { DataDictionary, type DecodedMessage } from "./dictionary.ts";
export { MessageFormat, type ParamValue, type ParamSpec, type MessageKind } from "./message-format.ts";
export { Enumeration } from "./enumeration.ts";
export { PARAM_TYPES, canonicalRange, type ParamType } from "./param-types.ts";
export { ParseDumper, type DumpProblem } from "./parsedump.ts";
export { pyBytesRepr, TextSink } from "./text-sink.ts";
