// A real pty pair joined by socat, in a temp dir, for serial link and transport tests.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface SocatPair {
  dir: string;
  a: string;
  b: string;
  /** Kills socat (closing the pty masters, so open ends see a hang-up) and removes the temp dir. */
  stop(): Promise<void>;
}

export async function startSocatPair(): Promise<SocatPair> {
  if (!Bun.which("socat")) throw new Error("socat is needed for the pty tests: apt-get install socat (scripts/setup.sh --with-test-tools does it as root)");
  const dir = mkdtempSync(join(tmpdir(), "stepline-pty-"));
  const a = join(dir, "a");
  const b = join(dir, "b");
  const proc = Bun.spawn(["socat", "-d", "-d", `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdout: "ignore", stderr: "pipe" });
  // socat logs "starting data transfer loop" once both ptys and their links exist. The reader is
  // released, not cancelled, afterwards: closing the pipe would kill socat on its next log line.
  let log = "";
  const decoder = new TextDecoder();
  const reader = proc.stderr.getReader();
  while (!log.includes("starting data transfer loop")) {
    const r = await reader.read();
    if (r.done) break;
    log += decoder.decode(r.value);
  }
  reader.releaseLock();
  if (!log.includes("starting data transfer loop")) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`socat did not start (exit ${await proc.exited}): ${log}`);
  }
  let stopped = false;
  return {
    dir, a, b,
    async stop() {
      if (!stopped) {
        stopped = true;
        proc.kill();
        await proc.exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
