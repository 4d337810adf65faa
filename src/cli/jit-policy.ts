// How JavaScriptCore's JIT runs each command: tier-up thresholds as a multiple of the normal ones
// (Bun.unsafe.setJITPolicy) and, for the appliance, which tiers there are.
// The executable starts at 100x (scripts/build.sh, --compile-jit-policy): start-up code runs once.
// JIT-compiling it at the normal thresholds cost the appliance ~60 ms of CPU and ~3 MiB before ready;
// at 10x the optimizing compilers still ran, and their own code pages stayed resident (idle RSS
// 58.6-58.9 MiB at 10x against 55.8 MiB at 100x, bench:appliance).
// Running from source (`bun src/main.ts`) starts at the normal policy; the calls below then set it.
import { execve } from "../util/libc.ts";

/** Commands whose steady work is one busy stretch (batch, vmcu...): the normal thresholds. */
export function useNormalJitPolicy(): void {
  Bun.unsafe.setJITPolicy(1);
}

/**
 * The appliance once it is up: a few dozen events a second for hours. At the normal thresholds the
 * JIT kept compiling lukewarm code all through a print (bench:live, 120 s window: JITWorker 0.3 % of
 * 1.8 % host CPU; start + G28 + 15 s of printing 0.78 s CPU). At 30x the hot paths (serial, step
 * generation) still reach the optimizing tiers and the rest stays in the interpreter and baseline JIT:
 * JITWorker 0.24 %, start + G28 + 15 s 0.44-0.49 s, 2-3 MB less resident.
 */
export function useApplianceJitPolicy(): void {
  Bun.unsafe.setJITPolicy(30);
}

/** The JavaScriptCore option the appliance sets: no DFG, and so no FTL above it. */
export const APPLIANCE_JSC_OPTION = "BUN_JSC_useDFGJIT";

/**
 * The executable's appliance runs JavaScriptCore's interpreter and baseline JIT only. Its steady work
 * is many small events, not long loops: the optimizing tiers kept compiling lukewarm code through a
 * print and their code stayed resident. Without them (bench:live, 60 s windows) the JIT thread went
 * from ~0.3 % to ~0.05 % CPU and RSS while printing from ~61 to ~55 MB, while bench:feed still kept
 * the same 4.2 µs step interval fed and uploads streamed as fast. Batch runs keep every tier: step
 * generation in a long loop is ~5x slower without them.
 * JavaScriptCore reads its options from BUN_JSC_* variables once, at start, so the executable
 * replaces itself (execve: same pid) with the variable set. A value the user set is kept; running
 * from source keeps Bun's defaults.
 */
export function restartWithApplianceJit(): void {
  if (!Bun.isStandaloneExecutable || process.env[APPLIANCE_JSC_OPTION] !== undefined) return;
  const err = execve(process.execPath, [process.execPath, ...process.argv.slice(2)], { ...process.env, [APPLIANCE_JSC_OPTION]: "0" });
  // Still here: execve failed; the appliance runs on with every tier
  console.error(`stepline: ${err.message}; running with JavaScriptCore's default JIT tiers`);
}
