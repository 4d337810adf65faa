// The slice of the Mcu (src/mcu/mcu.ts) that pin objects use, typed structurally so that any Mcu
// (batch or live) fits.
import type { DecodedMessage } from "../../protocol/index.ts";

export interface McuCommandQueue {}

export interface McuPort {
  readonly name: string;
  createOid(): number;
  addConfigCmd(line: string, opts?: { isInit?: boolean; onRestart?: boolean }): void;
  registerConfigCallback(cb: () => void): void;
  allocCommandQueue(): McuCommandQueue;
  sendCommand(encoded: Uint8Array, opts?: { minClock?: number; reqClock?: number; queue?: McuCommandQueue }): void;
  registerResponse(name: string, oid: number | null, cb: (msg: DecodedMessage) => void): void;
  printTimeToClock(printTime: number): number;
  clockToPrintTime(clock: number): number;
  secondsToClock(s: number): number;
  estimatedPrintTime(hostTime: number): number;
  getConstant(name: string): number | string;
  /** A numeric constant of the firmware (ADC_MAX, PWM_MAX); throws naming the MCU otherwise. */
  getConstantFloat(name: string): number;
  isBatch(): boolean;
  dict: {
    encodeCommand(name: string, params: Record<string, number | string | Uint8Array>): Uint8Array;
    hasCommand(name: string): boolean;
    /** The parsed data dictionary ("commands": format → id, ...). */
    readonly json: unknown;
  };
  /** Host monotonic time in seconds. */
  monotonic(): number;
  /** 32-bit MCU clock from a response → the full 64-bit clock. */
  clock32ToClock64(clock32: number): number;
  /** Tell the Mcu that this object occupies a slot of the MCU's move queue. */
  requestMoveQueueSlot(): void;
}

/** Largest interval the MCU's timers schedule safely (signed 32-bit clock differences). */
export const MAX_SCHEDULE_TICKS = 2 ** 31 - 1;

/**
 * Start clock of a periodic MCU query (ADC sampling, counters): one and a half seconds out, rounded
 * down to a whole print second, staggered by 10 ms per oid so queries on one MCU do not coincide.
 */
export function querySlot(mcu: McuPort, oid: number): number {
  const t = Math.trunc(mcu.estimatedPrintTime(mcu.monotonic()) + 1.5);
  return mcu.printTimeToClock(t) + mcu.secondsToClock(oid * 0.01);
}

export class PinConfigError extends Error {}
