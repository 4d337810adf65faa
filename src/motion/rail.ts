// A stepper-driven rail (Klipper's GenericPrinterRail / LookupMultiRail): one or more
// steppers ([stepper_x], [stepper_x1], ...) sharing an endstop, with the axis range
// (position_min/max), position_endstop and homing options.
//
// API (stable):
//   lookupMultiRail(config, services, opts?) / lookupRail(config, services, opts?)
//   rail.getName(short?), getRange() -> [min, max], getHomingInfo(), getSteppers(),
//   getEndstops() -> [endstop, name][], setupItersolve(() => sk), setTrapq(tq),
//   setPosition([x, y, z]), getCommandedPosition(), calcPositionFromCoord([x, y, z])
// Endstop construction belongs to homing: `services.setupEndstop(pinDesc)` must return an
// object with addStepper(stepper) (and optionally getPositionEndstop() for virtual
// endstops that know their position).

import type { ConfigSection } from "../core/config/section.ts";
import { ConfigError } from "../core/config/errors.ts";
import { printerStepper, type McuStepper, type StepperServices } from "./stepper.ts";
import type { StepperKinematics } from "./steps/itersolve.ts";
import type { TrapQ } from "./steps/trapq.ts";
import type { HomingInfo } from "./homing.ts";

export interface RailEndstop {
  addStepper(stepper: McuStepper): void;
  getPositionEndstop?(): number;
}

export interface EndstopPinInfo { chipName: string; pin: string; invert: number; pullup: number; }

export interface RailServices<E extends RailEndstop = RailEndstop> extends StepperServices {
  /** Parse an endstop pin description (may have ^ ~ ! and a chip prefix). */
  parseEndstopPin(desc: string): EndstopPinInfo;
  /** Create the MCU endstop for a pin (config_endstop + trsync). */
  setupEndstop(desc: string): E;
  /** Register with query_endstops (QUERY_ENDSTOPS / M119). */
  registerQueryEndstop?(endstop: E, name: string): void;
}

export interface RailOptions {
  needPositionMinmax?: boolean;
  defaultPositionEndstop?: number | null;
  unitsInRadians?: boolean;
}

export class PrinterRail<E extends RailEndstop = RailEndstop> {
  readonly name: string;
  private readonly steppers: McuStepper[] = [];
  private readonly endstops: [E, string][] = [];
  private readonly endstopMap = new Map<string, { endstop: E; invert: number; pullup: number }>();
  private readonly endstopPin: string;
  readonly positionEndstop: number;
  readonly positionMin: number;
  readonly positionMax: number;
  readonly homingSpeed: number;
  readonly secondHomingSpeed: number;
  readonly homingRetractSpeed: number;
  readonly homingRetractDist: number;
  readonly homingPositiveDir: boolean;
  private readonly unitsInRadians: boolean;

  constructor(config: ConfigSection, private readonly services: RailServices<E>, opts: RailOptions = {}) {
    const needMinmax = opts.needPositionMinmax ?? true;
    const defEndstop = opts.defaultPositionEndstop ?? null;
    this.unitsInRadians = opts.unitsInRadians ?? false;
    this.name = config.getName();
    this.endstopPin = config.get("endstop_pin");
    const mcuEndstop = this.lookupEndstop(this.endstopPin, this.name);
    if (mcuEndstop.getPositionEndstop) this.positionEndstop = mcuEndstop.getPositionEndstop();
    else if (defEndstop === null) this.positionEndstop = config.getFloat("position_endstop");
    else this.positionEndstop = config.getFloat("position_endstop", defEndstop);
    if (needMinmax) {
      this.positionMin = config.getFloat("position_min", 0.);
      this.positionMax = config.getFloat("position_max", undefined, { above: this.positionMin });
    } else {
      this.positionMin = 0.;
      this.positionMax = this.positionEndstop;
    }
    if (this.positionEndstop < this.positionMin || this.positionEndstop > this.positionMax)
      throw new ConfigError(`position_endstop in section '${this.name}' must be between position_min and position_max`);
    this.homingSpeed = config.getFloat("homing_speed", 5.0, { above: 0. });
    this.secondHomingSpeed = config.getFloat("second_homing_speed", this.homingSpeed / 2., { above: 0. });
    this.homingRetractSpeed = config.getFloat("homing_retract_speed", this.homingSpeed, { above: 0. });
    this.homingRetractDist = config.getFloat("homing_retract_dist", 5., { minval: 0. });
    const positiveDir = config.getBoolean("homing_positive_dir", null);
    if (positiveDir === null) {
      const axisLen = this.positionMax - this.positionMin;
      if (this.positionEndstop <= this.positionMin + axisLen / 4.) this.homingPositiveDir = false;
      else if (this.positionEndstop >= this.positionMax - axisLen / 4.) this.homingPositiveDir = true;
      else throw new ConfigError(`Unable to infer homing_positive_dir in section '${this.name}'`);
      config.getBoolean("homing_positive_dir", this.homingPositiveDir);
    } else {
      this.homingPositiveDir = positiveDir;
      if ((positiveDir && this.positionEndstop === this.positionMin)
        || (!positiveDir && this.positionEndstop === this.positionMax))
        throw new ConfigError(`Invalid homing_positive_dir / position_endstop in '${this.name}'`);
    }
  }

  getName(short = false): string {
    if (short) {
      if (this.name.startsWith("stepper")) return this.name.slice(8);
      return this.name.split(/\s+/).pop()!;
    }
    return this.name;
  }

  getRange(): [number, number] { return [this.positionMin, this.positionMax]; }

  getHomingInfo(): HomingInfo {
    return {
      speed: this.homingSpeed, positionEndstop: this.positionEndstop,
      retractSpeed: this.homingRetractSpeed, retractDist: this.homingRetractDist,
      positiveDir: this.homingPositiveDir, secondHomingSpeed: this.secondHomingSpeed,
    };
  }

  getSteppers(): McuStepper[] { return [...this.steppers]; }
  getEndstops(): [E, string][] { return [...this.endstops]; }

  /** The endstop for a pin, shared between rails/steppers using the same pin. */
  lookupEndstop(endstopPin: string, name: string): E {
    const p = this.services.parseEndstopPin(endstopPin);
    const pinName = `${p.chipName}:${p.pin}`;
    const known = this.endstopMap.get(pinName);
    if (!known) {
      const endstop = this.services.setupEndstop(endstopPin);
      this.endstopMap.set(pinName, { endstop, invert: p.invert, pullup: p.pullup });
      this.endstops.push([endstop, name]);
      this.services.registerQueryEndstop?.(endstop, name);
      return endstop;
    }
    if (p.invert !== known.invert || p.pullup !== known.pullup)
      throw new ConfigError(`Printer rail ${this.getName()} shared endstop pin ${pinName} must specify the same pullup/invert settings`);
    return known.endstop;
  }

  addStepper(stepper: McuStepper, endstopPin: string | null = null, endstopName: string | null = null): void {
    this.steppers.push(stepper);
    const endstop = endstopPin !== null
      ? this.lookupEndstop(endstopPin, endstopName ?? stepper.getName(true))
      : this.lookupEndstop(this.endstopPin, this.name);
    endstop.addStepper(stepper);
  }

  addStepperFromConfig(config: ConfigSection): void {
    const stepper = printerStepper(config, this.services, this.unitsInRadians);
    this.addStepper(stepper, config.get("endstop_pin", null));
  }

  /** Give every stepper its own kinematics instance from `make`. */
  setupItersolve(make: () => StepperKinematics): void {
    for (const s of this.steppers) s.setStepperKinematics(make());
  }

  setTrapq(tq: TrapQ | null): void { for (const s of this.steppers) s.setTrapq(tq); }
  setPosition(coord: readonly number[]): void { for (const s of this.steppers) s.setPosition(coord); }
  getCommandedPosition(): number { return this.first().getCommandedPosition(); }
  calcPositionFromCoord(coord: readonly number[]): number { return this.first().calcPositionFromCoord(coord); }

  private first(): McuStepper {
    const s = this.steppers[0];
    if (!s) throw new ConfigError(`rail '${this.name}' has no stepper`);
    return s;
  }
}

/** Where to find the extra sections of a multi-stepper rail. */
export interface SectionSource {
  hasSection(name: string): boolean;
  getSection(name: string): ConfigSection;
  /** Sections whose name starts with `prefix` ("carriage "), in file order. */
  getPrefixSections(prefix: string): ConfigSection[];
}

export function lookupRail<E extends RailEndstop>(config: ConfigSection, services: RailServices<E>, opts: RailOptions = {}): PrinterRail<E> {
  const rail = new PrinterRail(config, services, opts);
  rail.addStepperFromConfig(config);
  return rail;
}

/** A rail plus its [NAME1], [NAME2], ... extra stepper sections. */
export function lookupMultiRail<E extends RailEndstop>(config: ConfigSection, sections: SectionSource, services: RailServices<E>, opts: RailOptions = {}): PrinterRail<E> {
  const rail = lookupRail(config, services, opts);
  for (let i = 1; i < 99; i++) {
    const name = config.getName() + String(i);
    if (!sections.hasSection(name)) break;
    rail.addStepperFromConfig(sections.getSection(name));
  }
  return rail;
}
