// Narrowing of raw 32-bit command arguments to the C types firmware handlers store them in.
import type { ArgValue } from "../codec.ts";

export const u32 = (v: ArgValue | undefined): number => (v as number) >>> 0;
export const i32 = (v: ArgValue | undefined): number => (v as number) | 0;
export const u16 = (v: ArgValue | undefined): number => (v as number) & 0xffff;
export const i16 = (v: ArgValue | undefined): number => ((v as number) << 16) >> 16;
export const u8 = (v: ArgValue | undefined): number => (v as number) & 0xff;
export const i8 = (v: ArgValue | undefined): number => ((v as number) << 24) >> 24;
export const bytes = (v: ArgValue | undefined): Uint8Array => v as Uint8Array;
