// The simulated board behind the pins: output levels and duties, inputs wired to endstop switches,
// ADC inputs wired to thermistors on heated bodies, and axes moved by stepper drivers.

import { Axis, endstopLevel, type EndstopSwitch } from "./motion.ts";
import { ThermalBody } from "./thermal.ts";
import { thermistorAdc, type ThermistorParams } from "./thermistor.ts";

export interface AxisConfig {
  stepPin: string;
  invertDir?: boolean;
  initialPosition?: number; // steps
}
export interface EndstopConfig {
  pin: string;
  stepPin: string; // the stepper whose axis closes this switch
  side: "min" | "max";
  triggerAt: number; // steps
  triggeredLevel?: 0 | 1; // default 1 (pin reads high when triggered)
}
export interface HeaterConfig {
  heaterPin: string;
  thermistorPin: string;
  ambient?: number; // °C, default 25
  maxRise?: number; // °C above ambient at full power, default 300
  timeConstant?: number; // s, default 120
  r25?: number; // default 100 kΩ
  beta?: number; // default 3950
  pullup?: number; // default 4.7 kΩ
}
/** A broken sensor wire: disconnected (pulled to the reference) or shorted to ground. */
export type SensorFault = "open" | "short";

export interface HardwareConfig {
  axes?: AxisConfig[];
  endstops?: EndstopConfig[];
  heaters?: HeaterConfig[];
  /** Keep the clock of every step on each axis (tests; memory grows with the print). */
  recordStepTimes?: boolean;
}

/** Typical parameters: a 40 W hotend and a 24 V bed. */
export const HOTEND_THERMAL = { maxRise: 300, timeConstant: 120 } as const;
export const BED_THERMAL = { maxRise: 110, timeConstant: 400 } as const;

interface Heater {
  body: ThermalBody;
  thermistor: ThermistorParams;
}

export class Hardware {
  private readonly axes = new Map<number, Axis>();
  private readonly axisConfig = new Map<number, AxisConfig>();
  private readonly endstops = new Map<number, EndstopSwitch>();
  private readonly heatersByOutput = new Map<number, Heater>();
  private readonly heatersByAdc = new Map<number, Heater>();
  private readonly outputs = new Map<number, number>();
  /** ADC pins whose wiring failed: "open" (disconnected) reads full scale, "short" reads 0. */
  private readonly sensorFaults = new Map<number, SensorFault>();
  private readonly record: boolean;

  /**
   * pin resolves a pin name (throws a clear error for unknown names); seconds converts board ticks;
   * source names the configuration in error messages (e.g. the --hardware file).
   */
  constructor(
    config: HardwareConfig,
    resolvePin: (name: string, where: string) => number,
    private readonly adcMax: number,
    private readonly seconds: (ticks: number) => number,
    source = "hardware",
  ) {
    checkShape(config, source);
    const pin = (name: string, where: string) => resolvePin(name, `${source}: ${where}`);
    const positive = (v: number, where: string, allowNegative = false) => checkNumber(v, `${source}: ${where}`, allowNegative);
    this.record = config.recordStepTimes ?? false;
    (config.axes ?? []).forEach((a, i) => this.axisConfig.set(pin(a.stepPin, `axes[${i}].stepPin`), a));
    (config.endstops ?? []).forEach((e, i) => {
      const where = `endstops[${i}]`;
      if (e.side !== "min" && e.side !== "max") throw new Error(`${source}: ${where}.side must be "min" or "max", got ${JSON.stringify(e.side)}`);
      if (!Number.isFinite(e.triggerAt)) throw new Error(`${source}: ${where}.triggerAt must be a number of steps, got ${JSON.stringify(e.triggerAt)}`);
      this.endstops.set(pin(e.pin, `${where}.pin`), {
        axis: this.axisFor(pin(e.stepPin, `${where}.stepPin`)),
        side: e.side,
        triggerAt: e.triggerAt,
        triggeredLevel: e.triggeredLevel === 0 ? 0 : 1,
      });
    });
    (config.heaters ?? []).forEach((h, i) => {
      const where = `heaters[${i}]`;
      const params = {
        ambient: positive(h.ambient ?? 25, `${where}.ambient`, true),
        maxRise: positive(h.maxRise ?? HOTEND_THERMAL.maxRise, `${where}.maxRise`),
        timeConstant: positive(h.timeConstant ?? HOTEND_THERMAL.timeConstant, `${where}.timeConstant`),
      };
      const heater: Heater = {
        body: new ThermalBody(params),
        thermistor: {
          r25: positive(h.r25 ?? 100000, `${where}.r25`),
          beta: positive(h.beta ?? 3950, `${where}.beta`),
          pullup: positive(h.pullup ?? 4700, `${where}.pullup`),
        },
      };
      this.heatersByOutput.set(pin(h.heaterPin, `${where}.heaterPin`), heater);
      this.heatersByAdc.set(pin(h.thermistorPin, `${where}.thermistorPin`), heater);
    });
  }

  /** The axis driven by the stepper on this step pin (created at its configured start position). */
  axisFor(stepPin: number): Axis {
    let axis = this.axes.get(stepPin);
    if (!axis) {
      const c = this.axisConfig.get(stepPin);
      axis = new Axis(c?.initialPosition ?? 0, c?.invertDir ?? false, this.record);
      this.axes.set(stepPin, axis);
    }
    return axis;
  }

  /** Digital output level (0/1) from clock on. */
  setOutput(pin: number, level: number, clock: number): void {
    this.setDuty(pin, level ? 1 : 0, clock);
  }

  /** Output duty (0..1, hardware PWM or a steady level) from clock on. */
  setDuty(pin: number, duty: number, clock: number): void {
    this.outputs.set(pin, duty);
    this.heatersByOutput.get(pin)?.body.setDuty(duty, this.seconds(clock));
  }

  output(pin: number): number | undefined {
    return this.outputs.get(pin);
  }

  /** Digital input level: an endstop switch if one is wired, else the pull-up/pull-down of an open pin. */
  readInput(pin: number, pullUp: boolean): 0 | 1 {
    const e = this.endstops.get(pin);
    if (e) return endstopLevel(e);
    return pullUp ? 1 : 0;
  }

  /** Break (or repair, with null) the wiring of the sensor on an ADC pin. */
  setSensorFault(pin: number, fault: SensorFault | null): void {
    if (fault === null) this.sensorFaults.delete(pin);
    else this.sensorFaults.set(pin, fault);
  }

  /** One raw ADC sample: a thermistor if one is wired, else an open input pulled to the reference. */
  readAdc(pin: number, clock: number): number {
    const fault = this.sensorFaults.get(pin);
    if (fault) return fault === "open" ? this.adcMax : 0;
    const h = this.heatersByAdc.get(pin);
    if (!h) return this.adcMax;
    return thermistorAdc(h.thermistor, h.body.temperatureAt(this.seconds(clock)), this.adcMax);
  }

  /** Temperature of the body whose thermistor is on this ADC pin (for status and tests). */
  temperature(adcPin: number, clock: number): number | undefined {
    return this.heatersByAdc.get(adcPin)?.body.temperatureAt(this.seconds(clock));
  }
}

const KEYS: Record<string, readonly string[]> = {
  axes: ["stepPin", "invertDir", "initialPosition"],
  endstops: ["pin", "stepPin", "side", "triggerAt", "triggeredLevel"],
  heaters: ["heaterPin", "thermistorPin", "ambient", "maxRise", "timeConstant", "r25", "beta", "pullup"],
};

/** Lists must be arrays of objects and every key must be known, so a typo is an error, not ignored. */
function checkShape(config: unknown, source: string): asserts config is HardwareConfig {
  if (!config || typeof config !== "object" || Array.isArray(config)) throw new Error(`${source}: must be a JSON object`);
  for (const [key, value] of Object.entries(config)) {
    if (key === "recordStepTimes") continue;
    const allowed = KEYS[key];
    if (!allowed) throw new Error(`${source}: unknown key '${key}' (known: ${[...Object.keys(KEYS), "recordStepTimes"].join(", ")})`);
    if (!Array.isArray(value)) throw new Error(`${source}: '${key}' must be a list`);
    value.forEach((entry, i) => {
      if (!entry || typeof entry !== "object") throw new Error(`${source}: ${key}[${i}] must be an object`);
      for (const k of Object.keys(entry))
        if (!allowed.includes(k)) throw new Error(`${source}: ${key}[${i}]: unknown key '${k}' (known: ${allowed.join(", ")})`);
    });
  }
}

function checkNumber(v: number, where: string, allowNegative: boolean): number {
  if (typeof v !== "number" || !Number.isFinite(v) || (!allowNegative && v <= 0))
    throw new Error(`${where} must be a ${allowNegative ? "" : "positive "}number, got ${JSON.stringify(v)}`);
  return v;
}
