// The simulated board behind the virtual printer's pins (see ./config.ts): where each axis starts,
// where its endstop closes, and the thermal models of the hotend and the bed.
import { BED_THERMAL, HOTEND_THERMAL, type HardwareConfig } from "../../../firmware-bridge/index.ts";
import { XY_STEPS_PER_MM, Z_STEPS_PER_MM } from "./config.ts";

export interface VirtualHardwareOptions {
  /**
   * Speeds up the heated bodies (their time constants are divided by it) so tests need not wait
   * minutes; the host's temperature control loop is unchanged. Default 1 (realistic).
   */
  thermalTimeScale?: number;
  /** Highest temperature rise of the hotend above ambient at full power (a weak heater: small). */
  hotendMaxRise?: number;
  /** Keep every step's clock on each axis (tests; memory grows with the print). */
  recordStepTimes?: boolean;
}

/** Where the carriage stands at power-on (mm), before homing: somewhere in the middle. */
export const START_POSITION_MM = { x: 110, y: 95, z: 20 } as const;

export function virtualPrinterHardware(opts: VirtualHardwareOptions = {}): HardwareConfig {
  const scale = opts.thermalTimeScale ?? 1;
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`thermalTimeScale must be a positive number, got ${scale}`);
  return {
    axes: [
      { stepPin: "PA0", initialPosition: START_POSITION_MM.x * XY_STEPS_PER_MM },
      { stepPin: "PA3", initialPosition: START_POSITION_MM.y * XY_STEPS_PER_MM },
      { stepPin: "PA6", initialPosition: START_POSITION_MM.z * Z_STEPS_PER_MM },
      { stepPin: "PA9", initialPosition: 0 },
    ],
    // Axis position 0 steps is the config's position_endstop (0 mm) on every axis
    endstops: [
      { pin: "PB0", stepPin: "PA0", side: "min", triggerAt: 0, triggeredLevel: 1 },
      { pin: "PB1", stepPin: "PA3", side: "min", triggerAt: 0, triggeredLevel: 1 },
      { pin: "PB2", stepPin: "PA6", side: "min", triggerAt: 0, triggeredLevel: 1 },
    ],
    heaters: [
      {
        heaterPin: "PC0", thermistorPin: "PC1",
        maxRise: opts.hotendMaxRise ?? HOTEND_THERMAL.maxRise, timeConstant: HOTEND_THERMAL.timeConstant / scale,
        r25: 100000, beta: 3950, pullup: 4700,
      },
      {
        heaterPin: "PC2", thermistorPin: "PC3",
        maxRise: BED_THERMAL.maxRise, timeConstant: BED_THERMAL.timeConstant / scale,
        r25: 100000, beta: 3950, pullup: 4700,
      },
    ],
    recordStepTimes: opts.recordStepTimes ?? false,
  };
}
