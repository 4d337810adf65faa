// Measuring child processes for the benches: CPU (user + system), wall time and peak RSS of a run,
// and medians.

export interface RunStats {
  /** seconds of user + system CPU */
  cpu: number;
  wall: number;
  /** peak resident set, KiB */
  rssKb: number;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs a command to its end; throws with its stderr tail if it fails. */
export function timedSync(cmd: string[], what: string, cwd?: string): RunStats {
  const t0 = performance.now();
  const p = Bun.spawnSync(cmd, { cwd, stdout: "ignore", stderr: "pipe" });
  const wall = (performance.now() - t0) / 1000;
  if (p.exitCode !== 0) throw new Error(`${what} failed (${p.exitCode}): ${p.stderr.toString().slice(-2000)}`);
  const ru = p.resourceUsage;
  if (!ru) throw new Error(`no resource usage from ${what}`);
  // cpuTime in µs; maxRSS in bytes
  return { wall, cpu: (Number(ru.cpuTime.user) + Number(ru.cpuTime.system)) / 1e6, rssKb: Number(ru.maxRSS) / 1024 };
}
