// Measuring child processes for the benches: CPU (user + system), wall time and peak RSS of a run,
// medians, and the CPU and memory of a live process from /proc.
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

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

/** CPU seconds (user + system) from a /proc stat file: /proc/PID/stat (all threads) or /proc/PID/task/TID/stat. */
export function procCpuSeconds(statPath: string): number {
  const stat = readFileSync(statPath, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields from 3 (state) on
  return (Number(f[11]) + Number(f[12])) / USER_HZ;
}

/**
 * Resident memory of a live process, MiB: now, at its peak, the part read from files (an executable's
 * code: the kernel can drop and re-read it) and the process's own (anonymous: heap, JIT code).
 */
export function residentMiB(pid: number): { rss: number; peak: number; fileBacked: number; own: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const mib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? NaN) / 1024;
  return { rss: mib("VmRSS"), peak: mib("VmHWM"), fileBacked: mib("RssFile"), own: mib("RssAnon") };
}
