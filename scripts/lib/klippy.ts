// Real Klipper's host (klippy at the reference commit) ready to run: unpacks the reference tarball once
// into a cache dir outside the repo and builds its C helper with Debian's python3. Shared by the benches
// and the test oracle (scripts/lib/klippy-oracle.ts).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KLIPPER_REFERENCE } from "./reference.ts";

/** Debian's python3; klippy's modules come from python3-{cffi,greenlet,jinja2,serial,markupsafe}. */
export const PYTHON = "/usr/bin/python3";
export const KLIPPY_TARBALL = `${KLIPPER_REFERENCE}/klippy-84104bbb.tar.gz`;

function runs(cmd: string[]): boolean {
  try {
    return Bun.spawnSync(cmd, { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
  } catch {
    return false;
  }
}

let missingReason: string | null | undefined;
/** Why klippy cannot run here (null when it can). */
export function klippyUnavailable(): string | null {
  if (missingReason !== undefined) return missingReason;
  missingReason = !existsSync(KLIPPY_TARBALL)
    ? `${KLIPPY_TARBALL} not found`
    : !runs([PYTHON, "-c", "import serial, greenlet, cffi, jinja2, markupsafe"])
      ? `${PYTHON} lacks klippy's modules (apt-get install python3-cffi python3-greenlet python3-jinja2 python3-serial python3-markupsafe)`
      : !runs(["sh", "-c", "command -v gcc"])
        ? "gcc is missing (klippy compiles its C helper)"
        : null;
  return missingReason;
}

let unpacked: string | undefined;
/** Directory holding klippy/ (with its C helper built), unpacked once per tarball content. */
export function klippyRoot(): string {
  if (unpacked) return unpacked;
  const hash = createHash("sha256").update(readFileSync(KLIPPY_TARBALL)).digest("hex").slice(0, 12);
  const dir = join(tmpdir(), `stepline-klippy-${hash}-drain1`);
  if (!existsSync(join(dir, "klippy", "chelper", "c_helper.so"))) {
    // unpack and build beside, then rename: concurrent runs never see a half-built tree
    const work = `${dir}.tmp-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    const tar = Bun.spawnSync(["tar", "xzf", KLIPPY_TARBALL, "-C", work], { stderr: "pipe" });
    if (tar.exitCode !== 0) throw new Error(`unpacking ${KLIPPY_TARBALL}: ${tar.stderr.toString()}`);
    drainSerialAtExit(join(work, "klippy", "serialhdl.py"));
    const build = Bun.spawnSync([PYTHON, "-c", "import chelper; chelper.get_ffi()"], { cwd: join(work, "klippy"), stderr: "pipe" });
    if (build.exitCode !== 0) throw new Error(`building klippy's C helper: ${build.stderr.toString()}`);
    try {
      renameSync(work, dir);
    } catch {
      rmSync(work, { recursive: true, force: true }); // another process won the race
    }
  }
  unpacked = dir;
  return dir;
}

/** klippy.py of the unpacked tree. */
export const klippyPy = (): string => join(klippyRoot(), "klippy", "klippy.py");

/**
 * klippy drops output its serial thread has not written yet when it exits (the reference kit's README:
 * "klippy can lose the tail of its output at exit"); this lets that thread drain for 0.3 s first,
 * so the stream is what klippy queued. Nothing else of klippy changes.
 */
function drainSerialAtExit(serialhdl: string): void {
  const text = readFileSync(serialhdl, "utf8");
  const exit = "            self.ffi_lib.serialqueue_exit(self.serialqueue)\n";
  if (!text.includes(exit)) throw new Error(`${serialhdl}: serialqueue_exit call not found`);
  writeFileSync(serialhdl, text.replace(exit, `            import time; time.sleep(0.3)\n${exit}`));
}
