// The slice of the Mcu contract (src/mcu/mcu.ts) that pin objects use, plus the optional pieces that
// klippy's MCU offers and the pin objects need when present. Typed structurally so any Mcu fits.
import type { DecodedMessage } from "../../protocol/index.ts";

export interface McuCommandQueue {}

export interface McuPort {
  readonly name: string;
  createOid(): number;
  addConfigCmd(line: string, opts?: { isInit?: boolean; onRestart?: boolean }): void;
  registerConfigCallback(cb: () => void): void;
  allocCommandQueue(): McuCommandQueue;
  sendCommand(encoded: Uint8Array, opts?: { minClock?: number; reqClock?: number; queue?: any }): void;
  registerResponse(name: string, oid: number | null, cb: (msg: DecodedMessage) => void): void;
  printTimeToClock(printTime: number): number;
  clockToPrintTime(clock: number): number;
  secondsToClock(s: number): number;
  estimatedPrintTime(hostTime: number): number;
  getConstant(name: string): number | string;
  isBatch(): boolean;
  dict: { encodeCommand(name: string, params: Record<string, number | string | Uint8Array>): Uint8Array; hasCommand(name: string): boolean };
  /** Host monotonic time in seconds (the reactor's clock), when the Mcu exposes it. */
  monotonic?(): number;
  /** 32-bit MCU clock from a response → full 64-bit clock, when the Mcu exposes it. */
  clock32ToClock64?(clock32: number): number;
  /** Tell the Mcu that this object occupies a slot of the MCU's move queue. */
  requestMoveQueueSlot?(): void;
}

/** Largest interval the MCU's timers schedule safely (signed 32-bit clock differences). */
export const MAX_SCHEDULE_TICKS = 2 ** 31 - 1;

/** Host monotonic seconds: the Mcu's reactor clock if it has one. */
export function hostNow(mcu: McuPort): number {
  return mcu.monotonic ? mcu.monotonic() : performance.now() / 1000;
}

export function numericConstant(mcu: McuPort, name: string): number {
  const v = Number(mcu.getConstant(name));
  if (!Number.isFinite(v)) throw new Error(`MCU '${mcu.name}' constant ${name} is not a number`);
  return v;
}

/** Extend a 32-bit clock from a response to the 64-bit clock nearest the MCU's current clock. */
export function extendClock32(mcu: McuPort, clock32: number): number {
  if (mcu.clock32ToClock64) return mcu.clock32ToClock64(clock32);
  const ref = mcu.printTimeToClock(mcu.estimatedPrintTime(hostNow(mcu)));
  let diff = (clock32 - ref) % 2 ** 32;
  if (diff < 0) diff += 2 ** 32;
  if (diff >= 2 ** 31) diff -= 2 ** 32;
  return ref + diff;
}

export class PinConfigError extends Error {}
