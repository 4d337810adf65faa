// [multi_pin NAME]: several output pins driven as one ("multi_pin:NAME" as a pin), e.g. two fans on
// one heater_fan. Registers the "multi_pin" pin chip once; each section is one group.
import type { ConfigSection } from "../../core/config/section.ts";
import { PinError, type PinChip, type PinParams, type PinType } from "../../core/pins.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import type { McuPort } from "../../core/mcu-pins/mcu-port.ts";
import type { DigitalOutput, PwmOutput } from "../../core/mcu-pins/output-types.ts";
import { setupDigitalOutPin, setupPwmPin } from "../../core/mcu-pins/pin-setup.ts";

/** The "multi_pin" chip: routes "multi_pin:NAME" to the [multi_pin NAME] group. */
class MultiPinChip implements PinChip {
  constructor(private readonly printer: Printer) {}
  setupPin(pinType: PinType, params: PinParams): unknown {
    const group = this.printer.lookupObject<MultiPin>(`multi_pin ${params.pin}`, null);
    if (!group) throw new PinError(`multi_pin ${params.pin} not configured`);
    return group.setupPin(pinType, params);
  }
}

export class MultiPin implements PwmOutput, DigitalOutput {
  readonly pin: string;
  private readonly pinList: string[];
  private pinType: PinType | null = null;
  private pwms: PwmOutput[] = [];
  private outs: DigitalOutput[] = [];

  constructor(config: ConfigSection, private readonly printer: Printer) {
    this.pin = config.getName().split(/\s+/)[1]!;
    if (!printer.pins.hasChip("multi_pin")) printer.pins.registerChip("multi_pin", new MultiPinChip(printer));
    this.pinList = config.getList("pins")!;
  }

  setupPin(pinType: PinType, params: PinParams): this {
    if (this.pinType !== null) throw new PinError(`Can't setup multi_pin ${this.pin} twice`);
    if (pinType !== "pwm" && pinType !== "digital_out") throw new PinError(`multi_pin ${this.pin} can not be used as ${pinType}`);
    this.pinType = pinType;
    const invert = params.invert ? "!" : "";
    const owner = `multi_pin ${this.pin}`;
    if (pinType === "pwm") this.pwms = this.pinList.map((d) => setupPwmPin(this.printer.pins, invert + d, owner));
    else this.outs = this.pinList.map((d) => setupDigitalOutPin(this.printer.pins, invert + d, owner));
    return this;
  }

  private get members(): Array<PwmOutput | DigitalOutput> {
    return this.pinType === "pwm" ? this.pwms : this.outs;
  }

  get mcu(): McuPort {
    const first = this.members[0];
    if (!first) throw new PinError(`multi_pin ${this.pin} is not set up`);
    return first.mcu;
  }

  setupMaxDuration(seconds: number): void {
    for (const p of this.members) p.setupMaxDuration(seconds);
  }
  setupCycleTime(seconds: number, hardwarePwm = false): void {
    for (const p of this.pwms) p.setupCycleTime(seconds, hardwarePwm);
  }
  setupStartValue(start: number | boolean, shutdown: number | boolean): void {
    for (const p of this.pwms) p.setupStartValue(Number(start), Number(shutdown));
    for (const p of this.outs) p.setupStartValue(start, shutdown);
  }
  setPwm(printTime: number, value: number): void {
    for (const p of this.pwms) p.setPwm(printTime, value);
  }
  setDigital(printTime: number, value: number | boolean): void {
    for (const p of this.outs) p.setDigital(printTime, value);
  }
}

registerModule("multi_pin ", (config, printer) => new MultiPin(config, printer));
