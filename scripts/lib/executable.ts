// The Stepline executable as it ships (scripts/build.sh: `bun build --compile --bytecode`) for this
// machine's CPU, built into a temp folder, for the benches that measure what users run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");

export interface BuiltExecutable {
  path: string;
  remove(): void;
}

export function buildExecutable(): BuiltExecutable {
  const arch = process.arch === "arm64" ? "arm64" : "x64";
  const dist = mkdtempSync(join(tmpdir(), "stepline-bench-dist-"));
  const built = Bun.spawnSync(["bash", join(ROOT, "scripts/build.sh"), arch], { env: { ...process.env, OUT_DIR: dist } });
  if (built.exitCode !== 0) {
    rmSync(dist, { recursive: true, force: true });
    throw new Error(`scripts/build.sh ${arch} failed: ${built.stderr.toString()}`);
  }
  return { path: join(dist, `stepline-linux-${arch}`), remove: () => rmSync(dist, { recursive: true, force: true }) };
}
