// Public surface of the G-code layer.
export { GCodeCommand, type NumberBounds } from "./command.ts";
export { GCodeDispatcher, GCodeMutex, type GCodeHandler, type GCodeHost, type OutputHandler, type RegisterOptions } from "./dispatch.ts";
export { GCodeError } from "./errors.ts";
export { GCodeInput } from "./input.ts";
export { shlexSplit } from "./shlex.ts";
export { isEmergencyStop, isTraditionalGCode, type ParsedLine, tokenizeLine } from "./tokenize.ts";
