// Moonraker's machine component: system info, process statistics (machine.proc_stats and the
// 1 Hz notify_proc_stat_update that also keeps idle clients' watchdogs quiet), reboot/shutdown
// (refused unless the server was started with them allowed).
import os from "node:os";
import * as v from "valibot";
import { ApiError, endpoint, type ApiComponentFactory } from "../endpoint.ts";
import { cpuTemperature, ProcessCpuUsage, SystemCpuUsage, systemInfo, systemMemory } from "./system-stats.ts";

export interface MachineOptions {
  /** Allow machine.reboot / machine.shutdown to act (default: refused with 403). */
  allowPowerControl: boolean;
  /** How often proc stats are sampled and notified (ms); Moonraker: 1000. */
  statsIntervalMs?: number;
}

interface ProcSample {
  time: number;
  cpu_usage: number;
  memory: number;
  mem_units: "kB";
}

const SAMPLES_KEPT = 30;

export function machineComponent(opts: MachineOptions): ApiComponentFactory {
  return (ctx) => {
    const processCpu = new ProcessCpuUsage();
    const systemCpu = new SystemCpuUsage();
    const samples: ProcSample[] = [];
    let latest = { cpu_temp: cpuTemperature(), system_cpu_usage: { cpu: 0 }, system_memory: systemMemory() };
    const tick = () => {
      const sample: ProcSample = { time: Date.now() / 1000, cpu_usage: processCpu.percent(), memory: Math.round(process.memoryUsage.rss() / 1024), mem_units: "kB" };
      samples.push(sample);
      if (samples.length > SAMPLES_KEPT) samples.shift();
      latest = { cpu_temp: cpuTemperature(), system_cpu_usage: { cpu: systemCpu.percent() }, system_memory: systemMemory() };
      ctx.notify("notify_proc_stat_update", [{ moonraker_stats: sample, ...latest, network: {}, websocket_connections: ctx.connectionCount() }]);
    };
    const timer = setInterval(tick, opts.statsIntervalMs ?? 1000);

    const power = (what: "reboot" | "shutdown", argv: string[]) => {
      if (!opts.allowPowerControl) throw new ApiError(`machine.${what} is disabled on this server (start it with --allow-power-control)`, 403);
      ctx.log.warn(`web API: machine.${what} requested, running ${argv.join(" ")}`);
      Bun.spawn(argv, { stdout: "inherit", stderr: "inherit" });
      return "ok";
    };

    return {
      name: "machine",
      close() {
        clearInterval(timer);
      },
      endpoints: [
        endpoint({ path: "/machine/system_info", verbs: ["GET"], params: v.looseObject({}), handler: () => ({ system_info: systemInfo() }) }),
        endpoint({
          path: "/machine/proc_stats",
          verbs: ["GET"],
          params: v.looseObject({}),
          handler: () => ({
            moonraker_stats: [...samples],
            throttled_state: null,
            ...latest,
            network: {},
            system_uptime: os.uptime(),
            websocket_connections: ctx.connectionCount(),
          }),
        }),
        endpoint({ path: "/machine/reboot", verbs: ["POST"], params: v.looseObject({}), handler: () => power("reboot", ["systemctl", "reboot"]) }),
        endpoint({ path: "/machine/shutdown", verbs: ["POST"], params: v.looseObject({}), handler: () => power("shutdown", ["systemctl", "poweroff"]) }),
      ],
    };
  };
}
