// Runtime options of the appliance (`stepline run` from the executable) that Bun and its libraries
// read only from the environment, once, when the process starts: the executable replaces itself
// (execve: same pid, same arguments) with them set. A value the user set is kept; running from source
// keeps Bun's defaults. Each was measured with bench:live (60 s windows, the executable):
// - BUN_JSC_useDFGJIT=0: JavaScriptCore's interpreter and baseline JIT only. The appliance's steady
//   work is many small events, not long loops; the optimizing tiers kept compiling lukewarm code all
//   through a print and their code stayed resident. JITWorker ~0.3 % -> ~0.03 % CPU, RSS while
//   printing 61.5 -> 55.5 MiB; bench:feed still keeps the same 4.2 µs step interval fed and uploads
//   stream as fast. Batch keeps every tier: its long step-generation loop is ~5x slower without them.
// - MIMALLOC_SCAVENGER=0: no mimalloc scavenger thread, which woke on each idle turn of the event
//   loop to return freed memory; mimalloc then purges on allocation. Wake-ups 36 -> 25/s, host CPU
//   1.45-1.50 -> 1.30-1.42 %, RSS unchanged (42 MiB).
import { execve } from "../util/libc.ts";

export const APPLIANCE_RUNTIME_ENV: Readonly<Record<string, string>> = {
  BUN_JSC_useDFGJIT: "0",
  MIMALLOC_SCAVENGER: "0",
};

/** Restarts the executable with APPLIANCE_RUNTIME_ENV unless every variable is already set. */
export function restartWithApplianceRuntime(): void {
  if (!Bun.isStandaloneExecutable) return;
  const missing = Object.keys(APPLIANCE_RUNTIME_ENV).filter((k) => process.env[k] === undefined);
  if (missing.length === 0) return;
  const env = { ...APPLIANCE_RUNTIME_ENV, ...process.env };
  const err = execve(process.execPath, [process.execPath, ...process.argv.slice(2)], env);
  // Still here: execve failed; the appliance runs on with the runtime's defaults
  console.error(`stepline: ${err.message}; running with the runtime's default options (${missing.join(", ")} unset)`);
}
