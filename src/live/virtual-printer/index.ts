// The built-in virtual printer: its printer.cfg, its simulated board, its data folder.
export { VIRTUAL_MCU_SERIAL, virtualPrinterConfig, type VirtualPrinterConfigOptions, XY_STEPS_PER_MM, Z_STEPS_PER_MM } from "./config.ts";
export { START_POSITION_MM, virtualPrinterHardware, type VirtualHardwareOptions } from "./hardware.ts";
export { defaultDataDir, ensureDataDirs, type PrinterDataDirs, writeVirtualPrinterCfg } from "./data-dir.ts";
