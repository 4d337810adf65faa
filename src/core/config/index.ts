// Public surface of the config loader (see printer-config.ts for the entry point).
export { ConfigError } from "./errors.ts";
export { ConfigStore } from "./store.ts";
export { ConfigSection, type FloatBounds, type IntBounds, type ListOptions, type ReadOptions } from "./section.ts";
export { PrinterConfig, type UnusedEntry, unusedError } from "./printer-config.ts";
export { AUTOSAVE_HEADER, ConfigAutosave, splitAutosave } from "./autosave.ts";
export { pyFloat, pyRepr } from "./pyformat.ts";
