// The virtual Klipper-protocol MCU (see README.md).
export { VirtualMcu, type VirtualMcuOptions, type ByteDuplex } from "./vmcu.ts";
export type { ExecutedCommand } from "./firmware.ts";
export type { HardwareConfig, AxisConfig, EndstopConfig, HeaterConfig, SensorFault } from "./sim/hardware.ts";
export { HOTEND_THERMAL, BED_THERMAL } from "./sim/hardware.ts";
export { SHUTDOWN_REASONS, type ShutdownReason } from "./reasons.ts";
export { VIRTUAL_PRINTER_CFG, VIRTUAL_PRINTER_HARDWARE } from "./virtual-printer.ts";
