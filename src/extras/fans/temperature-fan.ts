// [temperature_fan NAME]: a fan that cools whatever its temperature sensor measures, towards
// target_temp, with the heater control algorithms turned around (more error above target = more fan).
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { GCodeError } from "../../core/gcode/errors.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { KELVIN_TO_CELSIUS } from "../heaters/adc-converter.ts";
import { type ControlOutput, ControlPid, ControlWatermark, type HeaterControl } from "../heaters/control.ts";
import { round2 } from "../heaters/heater.ts";
import { lookupHeaters } from "../heaters/heaters.ts";
import { Fan } from "./printer-fan.ts";

/** Refresh the speed at least this often (fans have no MCU max_duration, but stay in step). */
const MAX_FAN_TIME = 5.0;
/** Speed changes smaller than this are not worth a command. */
const MIN_SPEED_CHANGE = 0.05;

export class TemperatureFan {
  readonly name: string;
  readonly fan: Fan;
  readonly minTemp: number;
  readonly maxTemp: number;
  private readonly speedDelay: number;
  private readonly targetTempConf: number;
  targetTemp: number;
  minSpeed: number;
  maxSpeed: number;
  lastTemp = 0;
  private nextSpeedTime = 0;
  private lastSpeedValue = 0;
  private readonly control: HeaterControl;

  constructor(config: ConfigSection, printer: Printer) {
    this.name = config.getName().split(/\s+/)[1]!;
    this.fan = new Fan(config, printer, 1);
    this.minTemp = config.getFloat("min_temp", undefined, { minval: KELVIN_TO_CELSIUS })!;
    this.maxTemp = config.getFloat("max_temp", undefined, { above: this.minTemp })!;
    const heaters = lookupHeaters(printer);
    const sensor = heaters.setupSensor(config);
    sensor.setupMinmax(this.minTemp, this.maxTemp);
    sensor.setupCallback((t, temp) => {
      this.lastTemp = temp;
      this.control.temperatureUpdate(t, temp, this.targetTemp);
    });
    heaters.registerSensor(config, this);
    this.speedDelay = sensor.getReportTimeDelta();
    this.maxSpeed = config.getFloat("max_speed", 1, { above: 0, maxval: 1 })!;
    this.minSpeed = config.getFloat("min_speed", 0.3, { minval: 0, maxval: 1 })!;
    this.targetTempConf = config.getFloat("target_temp", this.maxTemp > 40 ? 40 : this.maxTemp, { minval: this.minTemp, maxval: this.maxTemp })!;
    this.targetTemp = this.targetTempConf;
    this.control = this.buildControl(config);
    printer.gcode.registerMux("SET_TEMPERATURE_FAN_TARGET", "TEMPERATURE_FAN", this.name, (g) => this.cmdSetTarget(g),
      "Sets a temperature fan target and fan speed limits");
  }

  /** The heater algorithms drive "power"; for a fan, power means "warm enough to need less fan". */
  private buildControl(config: ConfigSection): HeaterControl {
    const self = this;
    const kind = config.getChoice("control", ["watermark", "pid"]) as "watermark" | "pid";
    if (kind === "watermark") {
      const out: ControlOutput = {
        maxPower: 1, pwmDelay: this.speedDelay, alterTarget: () => {},
        // "Heating" (below target − max_delta) = fan off; otherwise full (max) speed.
        setPwm: (t, v) => this.setSpeed(t, v > 0 ? 0 : this.maxSpeed),
      };
      return new ControlWatermark(out, config.getFloat("max_delta", 2, { above: 0 })!);
    }
    const gains = { kp: config.getFloat("pid_Kp")!, ki: config.getFloat("pid_Ki")!, kd: config.getFloat("pid_Kd")! };
    const derivTime = config.getFloat("pid_deriv_time", 2, { above: 0 })!;
    const out: ControlOutput = {
      get maxPower() { return self.maxSpeed; },
      pwmDelay: this.speedDelay, alterTarget: () => {},
      setPwm: (t, v) => this.setSpeed(t, Math.max(this.minSpeed, this.maxSpeed - v)),
    };
    return new ControlPid(out, gains, derivTime);
  }

  private setSpeed(readTime: number, value: number): void {
    if (value <= 0) value = 0;
    else if (value < this.minSpeed) value = this.minSpeed;
    if (this.targetTemp <= 0) value = 0;
    if ((readTime < this.nextSpeedTime || !this.lastSpeedValue) && Math.abs(value - this.lastSpeedValue) < MIN_SPEED_CHANGE) return;
    const speedTime = readTime + this.speedDelay;
    this.nextSpeedTime = speedTime + 0.75 * MAX_FAN_TIME;
    this.lastSpeedValue = value;
    this.fan.setSpeed(value, speedTime);
  }

  getTemp(_eventTime: number): [number, number] {
    return [this.lastTemp, this.targetTemp];
  }

  private cmdSetTarget(gcmd: GCodeCommand): void {
    const temp = gcmd.getFloat("TARGET", this.targetTempConf);
    if (temp && (temp < this.minTemp || temp > this.maxTemp))
      throw new GCodeError(`Requested temperature (${temp.toFixed(1)}) out of range (${this.minTemp.toFixed(1)}:${this.maxTemp.toFixed(1)})`);
    this.targetTemp = temp;
    const minSpeed = gcmd.getFloat("MIN_SPEED", this.minSpeed);
    const maxSpeed = gcmd.getFloat("MAX_SPEED", this.maxSpeed);
    if (minSpeed > maxSpeed)
      throw new GCodeError(`Requested min speed (${minSpeed.toFixed(1)}) is greater than max speed (${maxSpeed.toFixed(1)})`);
    for (const [what, v] of [["min", minSpeed], ["max", maxSpeed]] as const)
      if (v && (v < 0 || v > 1)) throw new GCodeError(`Requested ${what} speed (${v.toFixed(1)}) out of range (0.0 : 1.0)`);
    this.minSpeed = minSpeed;
    this.maxSpeed = maxSpeed;
  }

  getStatus(): { speed: number; rpm: number | null; temperature: number; target: number } {
    return { ...this.fan.getStatus(), temperature: round2(this.lastTemp), target: this.targetTemp };
  }
}

registerModule("temperature_fan ", (config, printer) => new TemperatureFan(config, printer));
