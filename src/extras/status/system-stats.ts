// The "system_stats" status object (Klipper's statistics.py PrinterSysStats): system load
// average, CPU time used by this process, and available memory (kB) from /proc/meminfo.
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { registerModule } from "../../core/printer.ts";

export interface SystemStats {
  sysload: number;
  cputime: number;
  memavail: number;
}

export function readMemAvailable(): number | null {
  try {
    const m = /^MemAvailable:\s+(\d+)/m.exec(readFileSync("/proc/meminfo", "utf8"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export class SystemStatsObject {
  private last: SystemStats = { sysload: 0, cputime: 0, memavail: 0 };

  getStatus(_eventtime?: number): SystemStats {
    const cpu = process.cpuUsage();
    this.last = {
      sysload: loadavg()[0] ?? 0,
      cputime: (cpu.user + cpu.system) / 1e6,
      memavail: readMemAvailable() ?? this.last.memavail,
    };
    return { ...this.last };
  }
}

registerModule("system_stats", () => new SystemStatsObject(), { always: true });
