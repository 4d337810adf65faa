// sensor_type: temperature_host — the host computer's CPU temperature, read once a second from a
// sysfs thermal zone file (millidegrees Celsius). Out of min_temp..max_temp shuts the printer down.
import { readFileSync } from "node:fs";
import { ConfigError } from "../../core/config/errors.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import type { Printer } from "../../core/printer.ts";
import { HOUSEKEEPING, hostTime, isFileOutput, startPeriodic } from "../../core/host-timers.ts";
import { round2 } from "./heater.ts";
import type { TemperatureCallback, TemperatureSensor } from "./sensor.ts";

const HOST_REPORT_TIME = 1.0;
export const DEFAULT_THERMAL_ZONE = "/sys/class/thermal/thermal_zone0/temp";

/** Degrees Celsius from the text of a thermal zone file; throws on anything but a number. */
export function parseThermalZone(text: string, path: string): number {
  const v = Number(text.trim());
  if (!text.trim() || !Number.isFinite(v)) throw new Error(`temperature_host: '${path}' does not hold a number`);
  return v / 1000;
}

export class TemperatureHost implements TemperatureSensor {
  readonly name: string;
  readonly path: string;
  temp = 0;
  private minTemp = 0;
  private maxTemp = 0;
  private callback: TemperatureCallback | null = null;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    this.name = config.getName().split(/\s+/).pop()!;
    this.path = config.get("sensor_path", DEFAULT_THERMAL_ZONE)!;
    printer.addObject(`temperature_host ${this.name}`, this);
    if (isFileOutput(printer)) return;
    try {
      readFileSync(this.path, "utf8");
    } catch {
      throw new ConfigError(`Unable to open temperature file '${this.path}'`);
    }
    printer.registerEventHandler("klippy:connect", () => {
      startPeriodic(printer, `temperature_host:${this.name}`, hostTime(printer), (now) => this.sample(now), HOUSEKEEPING);
    });
  }

  setupMinmax(minTemp: number, maxTemp: number): void {
    this.minTemp = minTemp;
    this.maxTemp = maxTemp;
  }
  setupCallback(cb: TemperatureCallback): void { this.callback = cb; }
  getReportTimeDelta(): number { return HOST_REPORT_TIME; }

  /** Read the zone once; returns the next sample time, or null to stop after a read error. */
  sample(now: number): number | null {
    try {
      this.temp = parseThermalZone(readFileSync(this.path, "utf8"), this.path);
    } catch {
      this.temp = 0;
      return null;
    }
    if (this.temp < this.minTemp)
      this.printer.invokeShutdown(`HOST temperature ${this.temp.toFixed(1)} below minimum temperature of ${this.minTemp.toFixed(1)}.`);
    if (this.temp > this.maxTemp)
      this.printer.invokeShutdown(`HOST temperature ${this.temp.toFixed(1)} above maximum temperature of ${this.maxTemp.toFixed(1)}.`);
    const mcu = this.printer.lookupObject<{ estimatedPrintTime(t: number): number }>("mcu", null);
    this.callback?.(mcu ? mcu.estimatedPrintTime(now) : now, this.temp);
    return now + HOST_REPORT_TIME;
  }

  getStatus(): { temperature: number } {
    return { temperature: round2(this.temp) };
  }
}
