// The "heaters" printer object (Klipper's PrinterHeaters): the registry of temperature sensor types,
// heaters and sensors; setupHeater() for [extruder], [heater_bed] and [heater_generic]; the
// temperature G-code (M105, M104/M109, TURN_OFF_HEATERS, TEMPERATURE_WAIT, SET_HEATER_TEMPERATURE);
// the once-a-second heater check-in; and turning every heater off on shutdown.
import { ConfigError } from "../../core/config/errors.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { GCodeError } from "../../core/gcode/errors.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { setupPwmPin } from "../../core/mcu-pins/pin-setup.ts";
import { KELVIN_TO_CELSIUS } from "./adc-converter.ts";
import { AdcTemperatureSensor } from "./adc-temperature-sensor.ts";
import { Ds18b20 } from "./ds18b20.ts";
import { registerExtruderTemperatureCommands } from "./extruder-temperature.ts";
import { type ControlConfig, Heater, type HeaterHost, MAX_HEAT_TIME } from "./heater.ts";
import { HOUSEKEEPING, hostTime, isFileOutput, sleepUntil, startPeriodic } from "../../core/host-timers.ts";
import { builtinSensorFactories, type SensorFactory } from "./sensor-factories.ts";
import type { TemperatureSensor } from "./sensor.ts";
import { TemperatureHost } from "./temperature-host.ts";
import { TemperatureMcu } from "./temperature-mcu.ts";
import { spiTemperatureFactories } from "./spi-temperature.ts";

declare module "../../core/printer.ts" {
  interface PrinterObjects {
    heaters: PrinterHeaters;
  }
}

/** Anything M105 and TEMPERATURE_WAIT can read: (temperature, target). */
export interface TemperatureSource {
  getTemp(eventTime: number): [number, number];
}

/** Sections that define sensor types and may appear after the heater that uses them. */
const SENSOR_DEFINING_SECTIONS = ["thermistor", "adc_temperature"];

export class PrinterHeaters {
  private readonly factories: Map<string, SensorFactory>;
  /** By short name ("extruder", "heater_bed", "chamber"). */
  readonly heaters = new Map<string, Heater>();
  private readonly gcodeIdToSensor = new Map<string, TemperatureSource>();
  readonly availableHeaters: string[] = [];
  readonly availableSensors: string[] = [];
  readonly availableMonitors: string[] = [];
  private hasStarted = false;

  constructor(private readonly printer: Printer) {
    this.factories = builtinSensorFactories(printer.pins);
    this.factories.set("temperature_host", (config) => new TemperatureHost(config, printer));
    this.factories.set("temperature_mcu", (config) => new TemperatureMcu(config, printer));
    this.factories.set("DS18B20", (config) => new Ds18b20(config, printer));
    for (const [type, factory] of spiTemperatureFactories(printer)) this.factories.set(type, factory);
    printer.registerEventHandler("klippy:ready", () => this.handleReady());
    printer.registerEventHandler("klippy:shutdown", () => this.handleShutdown());
    printer.registerEventHandler("gcode:request_restart", () => this.turnOffAllHeaters());
    const gcode = printer.gcode;
    gcode.register("TURN_OFF_HEATERS", () => this.turnOffAllHeaters(), { desc: "Turn off all heaters" });
    gcode.register("M105", (g) => this.cmdM105(g), { whenNotReady: true });
  }

  addSensorFactory(sensorType: string, factory: SensorFactory): void {
    this.factories.set(sensorType, factory);
  }

  /** Build the heater of an [extruder], [heater_bed] or [heater_generic] section. */
  setupHeater(config: ConfigSection, gcodeId?: string): Heater {
    const shortName = config.getName().split(/\s+/).pop()!;
    if (this.heaters.has(shortName)) throw new ConfigError(`Heater ${shortName} already registered`);
    const sensor = this.setupSensor(config);
    const heater = buildHeater(this.printer, config, sensor);
    this.heaters.set(shortName, heater);
    this.registerSensor(config, heater, gcodeId);
    this.availableHeaters.push(config.getName());
    if (config.getName() === "extruder") registerExtruderTemperatureCommands(this.printer, this);
    return heater;
  }

  getAllHeaters(): string[] {
    return this.availableHeaters;
  }

  lookupHeater(name: string): Heater {
    const h = this.heaters.get(name);
    if (!h) throw new ConfigError(`Unknown heater '${name}'`);
    return h;
  }

  /** The sensor named by the section's sensor_type, built from the section's options. */
  setupSensor(config: ConfigSection): TemperatureSensor {
    const sensorType = config.get("sensor_type")!;
    if (!this.factories.has(sensorType)) {
      // A [thermistor NAME] or [adc_temperature NAME] defined later in the file.
      for (const prefix of SENSOR_DEFINING_SECTIONS) {
        const section = `${prefix} ${sensorType}`;
        if (this.printer.config.hasSection(section)) this.printer.loadObject(section);
      }
    }
    const factory = this.factories.get(sensorType);
    if (!factory) throw new ConfigError(`Unknown temperature sensor '${sensorType}'`);
    const sensor = factory(config);
    if (sensor instanceof AdcTemperatureSensor) {
      // An MCU "ADC out of range" shutdown does not say which sensor; tell the user.
      this.printer.registerEventHandler("klippy:analyze_shutdown", (msg: string) => {
        const why = msg.includes("ADC out of range") ? sensor.clarifyAdcRange() : null;
        if (why) this.printer.gcode.respondInfo(why);
      });
    }
    return sensor;
  }

  registerSensor(config: ConfigSection, source: TemperatureSource, gcodeId?: string | null): void {
    const name = config.getName();
    this.availableSensors.push(name);
    this.printer.gcode.registerMux("TEMPERATURE_WAIT", "SENSOR", name, (g) => this.cmdTemperatureWait(g),
      "Wait for a temperature on a sensor");
    const id = gcodeId ?? config.get("gcode_id", null);
    if (id === null || id === undefined) return;
    if (this.gcodeIdToSensor.has(id)) throw new ConfigError(`G-Code sensor id ${id} already registered`);
    this.gcodeIdToSensor.set(id, source);
  }

  registerMonitor(config: ConfigSection): void {
    this.availableMonitors.push(config.getName());
  }

  getStatus(): Record<string, string[]> {
    return {
      available_heaters: this.availableHeaters,
      available_sensors: this.availableSensors,
      available_monitors: this.availableMonitors,
    };
  }

  turnOffAllHeaters(): void {
    for (const h of this.heaters.values()) h.setTemp(0);
  }

  private handleReady(): void {
    this.hasStarted = true;
    // The heaters may only apply power while this check-in keeps running (host alive).
    startPeriodic(this.printer, "heaters:stats", hostTime(this.printer), (now) => {
      for (const h of this.heaters.values()) h.stats(now);
      return now + 1;
    }, HOUSEKEEPING);
  }

  private handleShutdown(): void {
    const now = hostTime(this.printer);
    for (const h of this.heaters.values()) h.handleShutdown(now);
  }

  /** "T0:210.0 /210.0 B:60.0 /60.0" in gcode id order. */
  temperatureReport(eventTime: number): string {
    const out: string[] = [];
    if (this.hasStarted)
      for (const id of [...this.gcodeIdToSensor.keys()].sort()) {
        const [cur, target] = this.gcodeIdToSensor.get(id)!.getTemp(eventTime);
        out.push(`${id}:${cur.toFixed(1)} /${target.toFixed(1)}`);
      }
    return out.length ? out.join(" ") : "T:0";
  }

  private cmdM105(gcmd: GCodeCommand): void {
    const msg = this.temperatureReport(hostTime(this.printer));
    if (!gcmd.ack(msg)) gcmd.respondRaw(msg);
  }

  /** Set a target (after queued moves are planned) and optionally wait until it is reached. */
  async setTemperature(heater: Heater, temp: number, wait = false): Promise<void> {
    this.printer.lookupObject("toolhead", null)
      ?.registerLookaheadCallback?.(() => {});
    heater.setTemp(temp);
    if (wait && temp) await this.waitForTemperature(heater);
  }

  /** Like Klipper's wait loops: keeps the toolhead's print time current, so idle_timeout sees "Printing". */
  private syncToolhead(): void {
    this.printer.lookupObject("toolhead", null)?.getLastMoveTime();
  }

  private async waitForTemperature(heater: Heater): Promise<void> {
    if (isFileOutput(this.printer) || heater.isFileOutput) return;
    let now = hostTime(this.printer);
    while (!this.printer.isShutdown() && heater.checkBusy(now)) {
      this.syncToolhead();
      this.printer.gcode.respondRaw(this.temperatureReport(now));
      if (!(await sleepUntil(this.printer, now + 1))) return;
      now = hostTime(this.printer);
    }
  }

  private async cmdTemperatureWait(gcmd: GCodeCommand): Promise<void> {
    const sensorName = gcmd.get("SENSOR");
    const minTemp = gcmd.getFloat("MINIMUM", -Infinity);
    const maxTemp = gcmd.getFloat("MAXIMUM", Infinity, { above: minTemp });
    if (minTemp === -Infinity && maxTemp === Infinity)
      throw gcmd.error("Error on 'TEMPERATURE_WAIT': missing MINIMUM or MAXIMUM.");
    if (isFileOutput(this.printer)) return;
    const source = this.heaters.get(sensorName) ?? this.printer.lookupObject<TemperatureSource>(sensorName);
    let now = hostTime(this.printer);
    while (!this.printer.isShutdown()) {
      const [temp] = source.getTemp(now);
      if (temp >= minTemp && temp <= maxTemp) return;
      this.syncToolhead();
      gcmd.respondRaw(this.temperatureReport(now));
      if (!(await sleepUntil(this.printer, now + 1))) return;
      now = hostTime(this.printer);
    }
  }
}

/** Read the heater options (after its sensor) and build it with its PWM output. */
function buildHeater(printer: Printer, config: ConfigSection, sensor: TemperatureSensor): Heater {
  const minTemp = config.getFloat("min_temp", undefined, { minval: KELVIN_TO_CELSIUS })!;
  const maxTemp = config.getFloat("max_temp", undefined, { above: minTemp })!;
  const minExtrudeTemp = config.getFloat("min_extrude_temp", 170, { minval: minTemp, maxval: maxTemp })!;
  const maxPower = config.getFloat("max_power", 1, { above: 0, maxval: 1 })!;
  const smoothTime = config.getFloat("smooth_time", 1, { above: 0 })!;
  const kind = config.getChoice("control", ["watermark", "pid"]) as "watermark" | "pid";
  const control: ControlConfig = kind === "pid"
    ? { kind, kp: config.getFloat("pid_Kp")!, ki: config.getFloat("pid_Ki")!, kd: config.getFloat("pid_Kd")! }
    : { kind, maxDelta: config.getFloat("max_delta", 2, { above: 0 })! };
  // The sensor's ADC pin was claimed first, so its oid comes first (as in Klipper).
  const pwm = setupPwmPin(printer.pins, config.get("heater_pin")!, config.getName());
  const host: HeaterHost = {
    isShutdown: () => printer.isShutdown(),
    invokeShutdown: (msg) => printer.invokeShutdown(msg),
    isFileOutput: isFileOutput(printer),
    commandError: (msg) => new GCodeError(msg),
  };
  const heater = new Heater({ name: config.getName(), minTemp, maxTemp, minExtrudeTemp, maxPower, smoothTime, control }, sensor, pwm, host);
  const cycleTime = config.getFloat("pwm_cycle_time", 0.1, { above: 0, maxval: heater.pwmDelay })!;
  pwm.setupCycleTime(cycleTime);
  pwm.setupMaxDuration(MAX_HEAT_TIME);
  printer.loadObject(`verify_heater ${heater.shortName}`);
  printer.loadObject("pid_calibrate");
  const heaters = printer.lookupObject("heaters");
  printer.gcode.registerMux("SET_HEATER_TEMPERATURE", "HEATER", heater.shortName,
    (g) => heaters.setTemperature(heater, g.getFloat("TARGET", 0)), "Sets a heater temperature");
  return heater;
}

/** The heaters object of a printer (created on first use). */
export function lookupHeaters(printer: Printer): PrinterHeaters {
  return printer.loadObject("heaters");
}

/** Klipper's PrinterHeaters.setup_heater, for [extruder] and friends. */
export function setupHeater(printer: Printer, config: ConfigSection, gcodeId?: string): Heater {
  return lookupHeaters(printer).setupHeater(config, gcodeId);
}

registerModule("heaters", (_config, printer) => new PrinterHeaters(printer));
