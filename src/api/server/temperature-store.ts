// Moonraker's temperature history (server.temperature_store): every second, the temperature,
// target, power (heaters) or speed (temperature fans) of each sensor Klipper's `heaters` object
// lists, the last 1200 samples kept, oldest first.
import type { Host, ObjectSubscription, StatusRequest, StatusSnapshot } from "../../core/host.ts";

export const TEMPERATURE_STORE_SIZE = 1200;
const FIELDS = ["temperature", "target", "power", "speed"] as const;
const SERIES: Record<(typeof FIELDS)[number], string> = { temperature: "temperatures", target: "targets", power: "powers", speed: "speeds" };

interface SensorHistory {
  monitor: boolean;
  series: Map<string, number[]>;
}

export class TemperatureStore {
  private readonly values: StatusSnapshot = {};
  private readonly history = new Map<string, SensorHistory>();
  private sensors: string[] = [];
  private monitors: string[] = [];
  private readonly sub: ObjectSubscription;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    host: Host,
    private readonly size = TEMPERATURE_STORE_SIZE,
    sampleMs = 1000,
  ) {
    this.sub = host.subscribeObjects({ heaters: ["available_sensors", "available_monitors"] }, (changes) => this.apply(changes));
    this.apply(this.sub.status);
    this.timer = setInterval(() => this.sample(), sampleMs);
  }

  private apply(changes: StatusSnapshot): void {
    for (const [name, fields] of Object.entries(changes)) this.values[name] = { ...this.values[name], ...fields };
    const heaters = changes.heaters;
    if (heaters && ("available_sensors" in heaters || "available_monitors" in heaters)) this.watch();
  }

  /** Re-subscribe when the sensor list changes (a restart with another config). */
  private watch(): void {
    const h = this.values.heaters ?? {};
    this.sensors = stringList(h.available_sensors);
    this.monitors = stringList(h.available_monitors).filter((m) => !this.sensors.includes(m));
    const request: StatusRequest = { heaters: ["available_sensors", "available_monitors"] };
    for (const s of [...this.sensors, ...this.monitors]) request[s] = [...FIELDS];
    const snap = this.sub.update(request);
    for (const [name, fields] of Object.entries(snap.status)) this.values[name] = { ...fields };
    // Like Moonraker, a sensor is listed (with empty series) as soon as klippy names it
    for (const name of [...this.sensors, ...this.monitors]) this.historyOf(name);
  }

  private historyOf(name: string): SensorHistory {
    let h = this.history.get(name);
    if (!h) {
      h = { monitor: !this.sensors.includes(name), series: new Map() };
      this.history.set(name, h);
    }
    for (const f of FIELDS) if (typeof this.values[name]?.[f] === "number" && !h.series.has(SERIES[f])) h.series.set(SERIES[f], []);
    return h;
  }

  private sample(): void {
    for (const name of [...this.sensors, ...this.monitors]) {
      const status = this.values[name];
      if (!status) continue;
      const h = this.historyOf(name);
      for (const f of FIELDS) {
        const val = status[f];
        const arr = h.series.get(SERIES[f]);
        if (typeof val !== "number" || !arr) continue;
        arr.push(Math.round(val * 100) / 100);
        if (arr.length > this.size) arr.splice(0, arr.length - this.size);
      }
    }
  }

  /** {sensor: {temperatures: [...], targets: [...], powers: [...]}}; monitors only when asked. */
  snapshot(includeMonitors: boolean): Record<string, Record<string, number[]>> {
    const out: Record<string, Record<string, number[]>> = {};
    for (const [name, h] of this.history) {
      if (h.monitor && !includeMonitors) continue;
      if (!this.sensors.includes(name) && !this.monitors.includes(name)) continue;
      out[name] = Object.fromEntries([...h.series].map(([k, arr]) => [k, [...arr]]));
    }
    return out;
  }

  close(): void {
    clearInterval(this.timer);
    this.sub.unsubscribe();
  }
}

function stringList(x: unknown): string[] {
  return Array.isArray(x) ? x.filter((s): s is string => typeof s === "string") : [];
}
