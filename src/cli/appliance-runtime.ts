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
// - BUN_GC_TIMER_INTERVAL=10000: Bun's own idle-GC timer asks for an eden collection every 10 s
//   instead of every second. While printing it ran ~1.2 collections a second of 1-1.7 ms each
//   (BUN_JSC_logGC: 59 in a 45 s run, 71 ms), on top of the collections JavaScriptCore paces by
//   allocation itself. Three variants side by side on the same print (300 s window): host CPU
//   1.343 % (1 s) / 1.227 % (10 s) / 1.173 % (timer off); RSS 51.0 / 50.8 / 54.0 MiB, peak 53.7 /
//   51.8 / 63.6: off lets memory grow, 10 s does not. Idle appliance RSS 43.0 -> 43.1 MiB.
import { execve } from "../util/libc.ts";

export const APPLIANCE_RUNTIME_ENV: Readonly<Record<string, string>> = {
  BUN_JSC_useDFGJIT: "0",
  MIMALLOC_SCAVENGER: "0",
  BUN_GC_TIMER_INTERVAL: "10000",
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
