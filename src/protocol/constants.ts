// Framing constants of Klipper's MCU wire protocol (docs/Protocol.md "Message Blocks").
export const MESSAGE_MIN = 5; // len + seq + crc16 + sync: an empty block
export const MESSAGE_MAX = 64;
export const MESSAGE_HEADER_SIZE = 2;
export const MESSAGE_TRAILER_SIZE = 3;
export const MESSAGE_PAYLOAD_MAX = MESSAGE_MAX - MESSAGE_MIN;
export const MESSAGE_SEQ_MASK = 0x0f;
export const MESSAGE_DEST = 0x10;
export const MESSAGE_SYNC = 0x7e;
