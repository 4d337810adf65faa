// [homing_heaters]: switch heaters off during homing moves of (some) steppers — for sensorless
// homing or endstops disturbed by heater noise — and restore their targets afterwards.
import { ConfigError } from "../../core/config/errors.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import { type Printer, registerModule } from "../../core/printer.ts";

interface Heater {
  getTemp(eventTime: number): [number, number];
  setTemp(temp: number): void;
}
interface Heaters {
  getAllHeaters(): string[];
  lookupHeater(name: string): Heater;
}
interface HomingMoveLike {
  endstops: [{ getSteppers(): { getName(): string }[] }, string][];
}

class HomingHeaters {
  private heaters: string[] | null;
  private readonly steppers: string[] | null;
  private readonly saved = new Map<string, number>();
  private readonly pheaters: Heaters;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    this.heaters = config.getList("heaters", null);
    this.steppers = config.getList("steppers", null);
    this.pheaters = printer.loadObject("heaters");
    printer.registerEventHandler("klippy:connect", () => this.checkNames());
    printer.registerEventHandler("homing:homing_move_begin", (h: HomingMoveLike) => this.begin(h));
    printer.registerEventHandler("homing:homing_move_end", (h: HomingMoveLike) => this.end(h));
  }

  private checkNames(): void {
    const all = this.pheaters.getAllHeaters();
    if (this.heaters === null) this.heaters = all;
    else if (!this.heaters.every((h) => all.includes(h))) throw new ConfigError(`One or more of these heaters are unknown: ${this.heaters.join(", ")}`);
    if (this.steppers === null) return;
    const kin = this.printer.lookupObject("toolhead").getKinematics();
    const names = kin.getSteppers().map((s) => s.getName());
    if (!this.steppers.every((s) => names.includes(s))) throw new ConfigError(`One or more of these steppers are unknown: ${this.steppers.join(", ")}`);
  }

  private eligible(h: HomingMoveLike): boolean {
    if (this.steppers === null) return true;
    return h.endstops.some(([es]) => es.getSteppers().some((s) => this.steppers!.includes(s.getName())));
  }

  private begin(h: HomingMoveLike): void {
    if (!this.eligible(h)) return;
    for (const name of this.heaters ?? []) {
      const heater = this.pheaters.lookupHeater(name);
      this.saved.set(name, heater.getTemp(0)[1]);
      heater.setTemp(0);
    }
  }

  private end(h: HomingMoveLike): void {
    if (!this.eligible(h)) return;
    for (const name of this.heaters ?? []) this.pheaters.lookupHeater(name).setTemp(this.saved.get(name) ?? 0);
  }
}

registerModule("homing_heaters", (config, printer) => new HomingHeaters(config, printer));
