// A socat pty pair for tests: bytes written to one path come out of the other.
export async function socatPair(a: string, b: string): Promise<{ stop(): Promise<void> }> {
  const proc = Bun.spawn(["socat", `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdout: "ignore", stderr: "pipe" });
  for (let i = 0; i < 500; i++) {
    if ((await Bun.file(a).exists()) && (await Bun.file(b).exists())) break;
    if (proc.exitCode !== null) throw new Error(`socat exited: ${await new Response(proc.stderr).text()}`);
    await Bun.sleep(10);
  }
  return {
    async stop() {
      proc.kill();
      await proc.exited;
    },
  };
}
