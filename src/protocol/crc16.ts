// CRC16-CCITT as the Klipper firmware computes it (initial 0xffff, reflected nibble form).
export function crc16(data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) {
    let d = (data[i]! ^ crc) & 0xff;
    d ^= (d & 0x0f) << 4;
    crc = (((d << 8) | (crc >> 8)) ^ (d >> 4) ^ (d << 3)) & 0xffff;
  }
  return crc;
}
