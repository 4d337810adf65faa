// sensor_type: DS18B20 — a 1-wire temperature sensor read by the MCU (Linux host MCU), identified by
// its serial number; the MCU reports millidegrees and enforces min/max itself.
import type { ConfigSection } from "../../core/config/section.ts";
import { type McuPort, querySlot } from "../../core/mcu-pins/mcu-port.ts";
import type { Printer } from "../../core/printer.ts";
import { round2 } from "./heater.ts";
import type { TemperatureCallback, TemperatureSensor } from "./sensor.ts";

const DS18_REPORT_TIME = 3.0;
const DS18_MIN_REPORT_TIME = 1.0;
const DS18_MAX_CONSECUTIVE_ERRORS = 4;

/** The printer object of an MCU by its name ("mcu" or the NAME of [mcu NAME]). */
export function printerMcu(printer: Printer, name: string): McuPort {
  return printer.lookupObject<McuPort>(name === "mcu" ? "mcu" : `mcu ${name}`);
}

export class Ds18b20 implements TemperatureSensor {
  readonly serialHex: string;
  readonly reportTime: number;
  readonly mcu: McuPort;
  readonly oid: number;
  temp = 0;
  private minTemp = 0;
  private maxTemp = 0;
  private reportClock = 0;
  private callback: TemperatureCallback | null = null;

  constructor(config: ConfigSection, printer: Printer) {
    const serial = new TextEncoder().encode(config.get("serial_no")!);
    this.serialHex = [...serial].map((b) => b.toString(16).padStart(2, "0")).join("");
    this.reportTime = config.getFloat("ds18_report_time", DS18_REPORT_TIME, { minval: DS18_MIN_REPORT_TIME })!;
    this.mcu = printerMcu(printer, config.get("sensor_mcu")!);
    this.oid = this.mcu.createOid();
    this.mcu.registerResponse("ds18b20_result", this.oid, (msg) => {
      const { value, fault, next_clock: nextClock } = msg.params;
      if (typeof value !== "number" || typeof nextClock !== "number" || fault) return;
      this.temp = value / 1000;
      const readClock = this.mcu.clock32ToClock64(nextClock) - this.reportClock;
      this.callback?.(this.mcu.clockToPrintTime(readClock), this.temp);
    });
    this.mcu.registerConfigCallback(() => this.buildConfig());
  }

  private buildConfig(): void {
    const mcu = this.mcu;
    mcu.addConfigCmd(`config_ds18b20 oid=${this.oid} serial=${this.serialHex} max_error_count=${DS18_MAX_CONSECUTIVE_ERRORS}`);
    const clock = querySlot(mcu, this.oid);
    this.reportClock = mcu.secondsToClock(this.reportTime);
    mcu.addConfigCmd(
      `query_ds18b20 oid=${this.oid} clock=${clock} rest_ticks=${this.reportClock}` +
        ` min_value=${Math.trunc(this.minTemp * 1000)} max_value=${Math.trunc(this.maxTemp * 1000)}`,
      { isInit: true },
    );
  }

  setupMinmax(minTemp: number, maxTemp: number): void {
    this.minTemp = minTemp;
    this.maxTemp = maxTemp;
  }
  setupCallback(cb: TemperatureCallback): void { this.callback = cb; }
  getReportTimeDelta(): number { return this.reportTime; }

  getStatus(): { temperature: number } {
    return { temperature: round2(this.temp) };
  }
}
