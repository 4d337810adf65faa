// The executable starts with JavaScriptCore's tier-up thresholds scaled 10x (scripts/build.sh,
// --compile-jit-policy): start-up code runs once, and JIT-compiling it cost the appliance ~60 ms of
// CPU and ~3 MiB before ready. Each command restores the normal policy once its steady work begins.
// Running from source (`bun src/main.ts`) starts at the normal policy already; this is then a no-op.
export function useNormalJitPolicy(): void {
  Bun.unsafe.setJITPolicy(1);
}
