// What machine.proc_stats and machine.system_info report, read from the OS (/proc where Linux has it).
import { readFileSync } from "node:fs";
import os from "node:os";

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/** /proc/meminfo totals in kB (os.* fallback elsewhere). */
export function systemMemory(): { total: number; available: number; used: number } {
  const text = readText("/proc/meminfo");
  const field = (name: string) => Number(text?.match(new RegExp(`^${name}:\\s+(\\d+)`, "m"))?.[1] ?? NaN);
  const total = Number.isFinite(field("MemTotal")) ? field("MemTotal") : Math.round(os.totalmem() / 1024);
  const available = Number.isFinite(field("MemAvailable")) ? field("MemAvailable") : Math.round(os.freemem() / 1024);
  return { total, available, used: total - available };
}

/** SoC temperature in °C where the kernel exposes one (Raspberry Pi: thermal_zone0), else null. */
export function cpuTemperature(): number | null {
  const t = readText("/sys/class/thermal/thermal_zone0/temp");
  const n = t === null ? NaN : Number(t.trim());
  return Number.isFinite(n) ? Math.round(n / 10) / 100 : null;
}

/** Whole-system CPU usage between calls, percent (from the aggregate line of /proc/stat). */
export class SystemCpuUsage {
  private last: { busy: number; total: number } | null = this.read();

  private read(): { busy: number; total: number } | null {
    const line = readText("/proc/stat")?.split("\n")[0];
    if (!line?.startsWith("cpu ")) return null;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  }

  percent(): number {
    const now = this.read();
    const prev = this.last;
    this.last = now;
    if (!now || !prev || now.total === prev.total) return 0;
    return Math.round(((now.busy - prev.busy) / (now.total - prev.total)) * 10000) / 100;
  }
}

/** This process's CPU usage between calls, percent of one core. */
export class ProcessCpuUsage {
  private last = { cpu: process.cpuUsage(), at: performance.now() };

  percent(): number {
    const cpu = process.cpuUsage();
    const at = performance.now();
    const used = (cpu.user - this.last.cpu.user + cpu.system - this.last.cpu.system) / 1000;
    const elapsed = at - this.last.at;
    this.last = { cpu, at };
    return elapsed > 0 ? Math.round((used / elapsed) * 10000) / 100 : 0;
  }
}

function osRelease(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of (readText("/etc/os-release") ?? "").split("\n")) {
    const m = line.match(/^([A-Z_]+)=(.*)$/);
    if (m) out[m[1]!] = m[2]!.replace(/^"|"$/g, "");
  }
  return out;
}

/** machine.system_info's system_info object. */
export function systemInfo(): Record<string, unknown> {
  const cpus = os.cpus();
  const cpuinfo = readText("/proc/cpuinfo") ?? "";
  const cpuField = (name: string) => cpuinfo.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, "m"))?.[1]?.trim() ?? "";
  const rel = osRelease();
  const version = rel.VERSION_ID ?? "";
  return {
    provider: "none",
    cpu_info: {
      cpu_count: cpus.length,
      bits: process.arch.endsWith("64") ? "64bit" : "32bit",
      processor: os.machine(),
      cpu_desc: cpus[0]?.model ?? "",
      serial_number: cpuField("Serial"),
      hardware_desc: cpuField("Hardware"),
      model: cpuField("Model"),
      total_memory: systemMemory().total,
      memory_units: "kB",
    },
    sd_info: {},
    distribution: {
      name: rel.PRETTY_NAME ?? os.type(),
      id: rel.ID ?? "",
      version,
      version_parts: { major: version.split(".")[0] ?? "", minor: version.split(".")[1] ?? "", build_number: "" },
      like: rel.ID_LIKE ?? "",
      codename: rel.VERSION_CODENAME ?? "",
    },
    available_services: [],
    instance_ids: { moonraker: "stepline", klipper: "stepline" },
    service_state: {},
    virtualization: { virt_type: "none", virt_identifier: "none" },
    python: { version: [], version_string: "" },
    network: {},
    canbus: {},
  };
}
