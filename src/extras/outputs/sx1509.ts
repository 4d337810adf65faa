// [sx1509 NAME]: an SX1509 16-pin I2C GPIO expander as pin chip "sx1509_NAME" (pins PIN_0 ..
// PIN_15) for digital outputs and its LED-driver PWM. Register state is cached on the host and
// written (16-bit words, or the byte-wide I_ON intensity registers) after each change.
import type { ConfigSection } from "../../core/config/section.ts";
import type { McuPort } from "../../core/mcu-pins/mcu-port.ts";
import { PinError, type PinChip, type PinParams } from "../../core/pins.ts";
import type { Printer } from "../../core/printer.ts";
import { registerModule } from "../../core/printer.ts";
import { hostTime } from "../../core/host-timers.ts";
import { i2cFromConfig, type McuI2c } from "../bus/bus.ts";

const REG_RESET = 0x7d;
const REG_CLOCK = 0x1e;
const REG_MISC = 0x1f;
const REG_DIR = 0x0e;
const REG_DATA = 0x10;
const REG_PULLUP = 0x06;
const REG_PULLDOWN = 0x08;
const REG_INPUT_DISABLE = 0x00;
const REG_ANALOG_DRIVER_ENABLE = 0x20;
/** LED driver intensity register of each pin. */
const REG_I_ON = [0x2a, 0x2d, 0x30, 0x33, 0x36, 0x3b, 0x40, 0x45, 0x4a, 0x4d, 0x50, 0x53, 0x56, 0x5b, 0x5f, 0x65];

class Sx1509 implements PinChip {
  readonly i2c: McuI2c;
  readonly words = new Map<number, number>([[REG_DIR, 0xffff], [REG_DATA, 0], [REG_PULLUP, 0], [REG_PULLDOWN, 0], [REG_INPUT_DISABLE, 0], [REG_ANALOG_DRIVER_ENABLE, 0]]);
  readonly bytes = new Map<number, number>(REG_I_ON.map((r) => [r, 0]));
  private lastClock = 0;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    const name = config.getName().split(/\s+/)[1]!;
    this.i2c = i2cFromConfig(config, printer, null, 400000);
    printer.pins.registerChip(`sx1509_${name}`, this);
    printer.registerEventHandler("klippy:connect", () => this.connect());
  }

  get mcu(): McuPort {
    return this.i2c.mcu;
  }

  private connect(): void {
    // Software reset sequence, internal oscillator on, clock divider 1
    this.i2c.write([REG_RESET, 0x12]);
    this.i2c.write([REG_RESET, 0x34]);
    this.i2c.write([REG_CLOCK, 1 << 6]);
    this.i2c.write([REG_MISC, 1 << 4]);
    for (const reg of [...this.words.keys(), ...this.bytes.keys()]) this.send(reg, this.mcu.estimatedPrintTime(hostTime(this.printer)));
  }

  update(reg: number, f: (v: number) => number): void {
    if (this.words.has(reg)) this.words.set(reg, f(this.words.get(reg)!) & 0xffff);
    else this.bytes.set(reg, f(this.bytes.get(reg)!));
  }

  send(reg: number, printTime: number): void {
    const data = [reg & 0xff];
    const word = this.words.get(reg);
    if (word !== undefined) data.push((word >> 8) & 0xff, word & 0xff);
    else data.push(this.bytes.get(reg)! & 0xff);
    const clock = this.mcu.printTimeToClock(printTime);
    this.i2c.write(data, this.lastClock, clock);
    this.lastClock = clock;
  }

  setupPin(pinType: string, params: PinParams): unknown {
    const m = /^PIN_(\d+)$/.exec(params.pin);
    const pin = m ? Number(m[1]) : -1;
    if (pin < 0 || pin > 15 || (pinType !== "digital_out" && pinType !== "pwm"))
      throw new PinError(`Wrong pin or incompatible type: ${params.pin.slice(0, 4)} with type ${pinType}! `);
    return pinType === "pwm" ? new Sx1509Pwm(this, pin, params) : new Sx1509DigitalOut(this, pin, params);
  }
}

/** What both pin kinds keep: the chip, the pin's name and polarity, and max_duration (heaters are refused). */
abstract class Sx1509Pin {
  protected readonly invert: boolean;
  protected maxDuration = 2;
  readonly pin: string;

  constructor(protected readonly chip: Sx1509, params: PinParams) {
    this.pin = params.pin;
    this.invert = Boolean(params.invert);
  }

  get mcu(): McuPort {
    return this.chip.mcu;
  }
  setupMaxDuration(s: number): void {
    this.maxDuration = s;
  }
}

class Sx1509DigitalOut extends Sx1509Pin {
  private readonly mask: number;

  constructor(chip: Sx1509, pinNumber: number, params: PinParams) {
    super(chip, params);
    this.mask = 1 << pinNumber;
    chip.update(REG_DIR, (v) => v & ~this.mask); // output
    chip.mcu.registerConfigCallback(() => {
      if (this.maxDuration) throw new PinError("SX1509 pins are not suitable for heaters");
    });
  }

  setupStartValue(start: number | boolean): void {
    const on = Boolean(start) !== this.invert;
    this.chip.update(REG_DATA, (v) => (on ? v | this.mask : v & ~this.mask));
  }
  setDigital(printTime: number, value: number | boolean): void {
    const on = Boolean(Math.trunc(Number(value))) !== this.invert;
    this.chip.update(REG_DATA, (v) => (on ? v | this.mask : v & ~this.mask));
    this.chip.send(REG_DATA, printTime);
  }
  setupCycleTime(): void {}
  setPwm(printTime: number, value: number): void {
    this.setDigital(printTime, value >= 0.5);
  }
}

class Sx1509Pwm extends Sx1509Pin {
  private readonly reg: number;
  private hardwarePwm = false;

  constructor(chip: Sx1509, pinNumber: number, params: PinParams) {
    super(chip, params);
    const mask = 1 << pinNumber;
    this.reg = REG_I_ON[pinNumber]!;
    // LED driver mode: input buffer off, no pull-up, output, driver on, data low
    chip.update(REG_INPUT_DISABLE, (v) => v | mask);
    chip.update(REG_PULLUP, (v) => v & ~mask);
    chip.update(REG_DIR, (v) => v & ~mask);
    chip.update(REG_ANALOG_DRIVER_ENABLE, (v) => v | mask);
    chip.update(REG_DATA, (v) => v & ~mask);
    chip.mcu.registerConfigCallback(() => {
      if (!this.hardwarePwm) throw new PinError("SX1509_pwm must have hardware_pwm enabled");
      if (this.maxDuration) throw new PinError("SX1509 pins are not suitable for heaters");
    });
  }

  setupCycleTime(_cycle: number, hardwarePwm = false): void {
    this.hardwarePwm = hardwarePwm;
  }
  setupStartValue(start: number): void {
    const v = Math.max(0, Math.min(1, this.invert ? 1 - start : start));
    // The intensity register counts off-time
    this.chip.update(this.reg, () => ~Math.trunc(255 * v) & 0xff);
  }
  nextAlignedPrintTime(printTime: number): number {
    return printTime;
  }
  setPwm(printTime: number, value: number): void {
    this.chip.update(this.reg, () => (this.invert ? Math.trunc(255 * value) : ~Math.trunc(255 * value)) & 0xff);
    this.chip.send(this.reg, printTime);
  }
}

registerModule("sx1509 ", (config, printer) => new Sx1509(config, printer));
