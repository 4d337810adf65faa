// JavaScriptCore's tier-up thresholds for each command, as a multiple of the normal ones
// (Bun.unsafe.setJITPolicy). Which tiers the appliance has at all: appliance-runtime.ts.
// The executable starts at 100x (scripts/build.sh, --compile-jit-policy): start-up code runs once.
// JIT-compiling it at the normal thresholds cost the appliance ~60 ms of CPU and ~3 MiB before ready;
// at 10x the optimizing compilers still ran, and their own code pages stayed resident (idle RSS
// 58.6-58.9 MiB at 10x against 55.8 MiB at 100x, bench:appliance).
// Running from source (`bun src/main.ts`) starts at the normal policy; the calls below then set it.

/** Commands whose steady work is one busy stretch (vmcu, parsedump...): the normal thresholds. */
export function useNormalJitPolicy(): void {
  Bun.unsafe.setJITPolicy(1);
}

/**
 * Batch runs: one busy stretch too, but its peak memory counts (goal 60 MB). The executable on the
 * reference print, 3 runs each (/usr/bin/time): at 1x peak 58.2-59.3 MiB, 1.41-1.50 s CPU; at 10x
 * 57.5-58.1 MiB, 1.45-1.50 s; at 30x 56.5-57.0 MiB, 1.44-1.55 s; at 100x 54.6-55.4 MiB but
 * 1.60-1.65 s. Fewer lukewarm functions reach the optimizing compilers, whose code and output then
 * stay out of memory; the step-generation loops are hot enough at 30x.
 */
export function useBatchJitPolicy(): void {
  Bun.unsafe.setJITPolicy(30);
}

/**
 * The appliance once it is up: a few dozen events a second for hours. At the normal thresholds the
 * JIT kept compiling lukewarm code all through a print (bench:live, 120 s window: JITWorker 0.3 % of
 * 1.8 % host CPU; start + G28 + 15 s of printing 0.78 s CPU). At 30x the hot paths (serial, step
 * generation) still reach the optimizing tiers and the rest stays in the interpreter and baseline JIT:
 * JITWorker 0.24 %, start + G28 + 15 s 0.44-0.49 s, 2-3 MB less resident. (The executable's appliance
 * has no optimizing tiers at all, appliance-runtime.ts; the threshold still spares baseline compiles.)
 */
export function useApplianceJitPolicy(): void {
  Bun.unsafe.setJITPolicy(30);
}
