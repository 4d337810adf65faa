// Klipper MCU wire protocol: framing, data dictionaries, message encoding and decoding.
export * from "./constants.ts";
export { ProtocolError } from "./errors.ts";
export { crc16 } from "./crc16.ts";
export { encodeBlock, packMessages, BlockReader, type BlockStats } from "./block.ts";
export { DataDictionary, type DecodedMessage } from "./dictionary.ts";
export { MessageFormat, type ParamValue, type ParamSpec, type MessageKind } from "./message-format.ts";
export { Enumeration } from "./enumeration.ts";
export { PARAM_TYPES, canonicalRange, type ParamType } from "./param-types.ts";
export { ParseDumper, type DumpProblem } from "./parsedump.ts";
export { pyBytesRepr, TextSink } from "./text-sink.ts";
