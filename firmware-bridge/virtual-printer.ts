// The example virtual printer, embedded (so a compiled binary carries it): the board wiring for
// VirtualMcu and the matching printer.cfg text. See examples/.
import hardware from "./examples/virtual-printer.json" with { type: "json" };
import cfg from "./examples/virtual-printer.cfg" with { type: "text" };
import type { HardwareConfig } from "./sim/hardware.ts";

export const VIRTUAL_PRINTER_HARDWARE: HardwareConfig = hardware as HardwareConfig;
/** printer.cfg for it; its [mcu] serial is /tmp/vmcu (replace it when running in-process). */
export const VIRTUAL_PRINTER_CFG: string = cfg;
