// LEDs: [led NAME] (PWM pins per colour), [neopixel NAME] (WS2812-style chains, MCU bit-banged,
// neopixel_update / neopixel_send), [dotstar NAME] (APA102 on a software SPI) and the I2C LED
// drivers [pca9533 NAME] and [pca9632 NAME]. SET_LED sets a
// colour now or in step with the toolhead (SYNC=1); colours are (red, green, blue, white) in 0..1.
import { ConfigError } from "../../core/config/errors.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import type { GCodeCommand } from "../../core/gcode/command.ts";
import { hostTime } from "../../core/host-timers.ts";
import type { McuPort } from "../../core/mcu-pins/mcu-port.ts";
import type { PwmOutput } from "../../core/mcu-pins/output-types.ts";
import { setupPwmPin } from "../../core/mcu-pins/pin-setup.ts";
import { PinError } from "../../core/pins.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { i2cFromConfig, McuSpi, pinMcu } from "../bus/bus.ts";
import { diffRuns } from "../display/lcd-chips.ts";
import { lookupTemplateEvaluator } from "../display/templates.ts";

export type Color = readonly [number, number, number, number];
type UpdateLeds = (state: readonly Color[], printTime: number | null) => void;

const BACKGROUND_PRIORITY_CLOCK = 0x7fffffff00000000;
const MIN_SCHEDULE_TIME = 0.1;
const MAX_NOMINAL_DURATION = 3.0;

const byte = (v: number) => Math.trunc(v * 255 + 0.5);

/** Colour state of an LED chain and the SET_LED command. */
export class LedHelper {
  state: Color[];
  private needTransmit = false;

  constructor(config: ConfigSection, private readonly printer: Printer, private readonly update: UpdateLeds, readonly count = 1) {
    const c = (n: string) => config.getFloat(`initial_${n}`, 0, { minval: 0, maxval: 1 });
    const color: Color = [c("RED"), c("GREEN"), c("BLUE"), c("WHITE")];
    this.state = new Array(count).fill(color);
    const name = config.getName().split(/\s+/).at(-1)!;
    const evaluator = lookupTemplateEvaluator(config, printer);
    // One text callback per LED: the template renders "red,green,blue,white"
    const callbacks = Array.from({ length: count }, (_, i) => (text: string) => this.templateUpdate(i + 1, text));
    const flush = () => this.transmit(null);
    printer.gcode.registerMux("SET_LED", "LED", name, (g) => this.cmdSetLed(g), "Set the color of an LED");
    printer.gcode.registerMux("SET_LED_TEMPLATE", "LED", name, (g) => {
      const index = g.getInt("INDEX", null, { minval: 1, maxval: this.count });
      for (const cb of index === null ? callbacks : [callbacks[index - 1]!]) evaluator.setTemplate(g, cb, flush);
    }, "Assign a display_template to an LED");
  }

  private templateUpdate(index: number, text: string): void {
    const parts = text.split(",", 4).map((f) => Number(f.trim()));
    const valid = parts.every((v, i) => Number.isFinite(v) && text.split(",", 4)[i]!.trim() !== "");
    const c = (valid ? parts : []).map((v) => Math.max(0, Math.min(1, v)));
    while (c.length < 4) c.push(0);
    this.setColor(index, c as unknown as Color);
  }

  private setColor(index: number | null, color: Color): void {
    const same = (a: Color, b: Color) => a.every((v, i) => v === b[i]);
    if (index === null) {
      if (this.state.every((s) => same(s, color))) return;
      this.state = new Array(this.count).fill(color);
    } else {
      if (same(this.state[index - 1]!, color)) return;
      this.state = [...this.state];
      this.state[index - 1] = color;
    }
    this.needTransmit = true;
  }

  private transmit(printTime: number | null): void {
    if (!this.needTransmit) return;
    this.needTransmit = false;
    this.update(this.state, printTime);
  }

  private cmdSetLed(g: GCodeCommand): void {
    const f = (n: string) => g.getFloat(n, 0, { minval: 0, maxval: 1 });
    const color: Color = [f("RED"), f("GREEN"), f("BLUE"), f("WHITE")];
    const index = g.getInt("INDEX", null, { minval: 1, maxval: this.count });
    const transmit = g.getInt("TRANSMIT", 1);
    const sync = g.getInt("SYNC", 1);
    const apply = (printTime: number | null) => {
      this.setColor(index, color);
      if (transmit) this.transmit(printTime);
    };
    if (sync) this.printer.lookupObject("toolhead").registerLookaheadCallback(apply);
    else apply(null);
  }

  getStatus(): { color_data: Color[] } {
    return { color_data: this.state };
  }
}

/** [led NAME]: red_pin / green_pin / blue_pin / white_pin PWM outputs. */
class PwmLed {
  private readonly pins: [number, PwmOutput][] = [];
  private readonly helper: LedHelper;
  private prev: Color;
  private lastPrintTime = 0;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    const cycleTime = config.getFloat("cycle_time", 0.010, { above: 0, maxval: MAX_NOMINAL_DURATION });
    const hardwarePwm = config.getBoolean("hardware_pwm", false);
    ["red", "green", "blue", "white"].forEach((name, i) => {
      const desc = config.get(`${name}_pin`, null);
      if (desc === null) return;
      const pwm = setupPwmPin(printer.pins, desc, config.getName());
      pwm.setupMaxDuration(0);
      pwm.setupCycleTime(cycleTime, hardwarePwm);
      this.pins.push([i, pwm]);
    });
    if (!this.pins.length) throw new ConfigError(`No LED pin definitions found in '${config.getName()}'`);
    this.helper = new LedHelper(config, printer, (s, pt) => this.updateLeds(s, pt));
    this.prev = this.helper.state[0]!;
    for (const [i, pwm] of this.pins) pwm.setupStartValue(this.prev[i]!, 0);
  }

  private updateLeds(state: readonly Color[], printTime: number | null): void {
    const mcu = this.pins[0]![1].mcu;
    let pt = printTime ?? mcu.estimatedPrintTime(hostTime(this.printer)) + MIN_SCHEDULE_TIME;
    pt = Math.max(pt, this.lastPrintTime + MIN_SCHEDULE_TIME);
    const color = state[0]!;
    for (const [i, pwm] of this.pins) {
      if (this.prev[i] !== color[i]) {
        pwm.setPwm(pt, color[i]!);
        this.lastPrintTime = pt;
      }
    }
    this.prev = color;
  }

  getStatus() {
    return this.helper.getStatus();
  }
}

/** [neopixel NAME]: colour bytes in the configured order per LED, sent as changed runs. */
class NeoPixel {
  private readonly mcu: McuPort;
  private readonly oid: number;
  private readonly pin: string;
  private readonly colorMap: [led: number, channel: number][] = [];
  private readonly helper: LedHelper;
  private readonly data: Uint8Array;
  private readonly old: Uint8Array;
  private queue: unknown = null;

  constructor(config: ConfigSection, private readonly printer: Printer) {
    const p = printer.pins.lookupPin(config.get("pin"), { owner: config.getName() });
    this.mcu = pinMcu(p);
    this.oid = this.mcu.createOid();
    this.pin = p.pin;
    this.mcu.registerConfigCallback(() => this.buildConfig());
    const chainCount = config.getInt("chain_count", 1, { minval: 1 });
    let order = config.getList("color_order", ["GRB"]);
    if (order.length === 1) order = new Array(chainCount).fill(order[0]);
    if (order.length !== chainCount) throw new ConfigError(`color_order does not match chain_count in section '${config.getName()}'`);
    order.forEach((co, led) => {
      const sorted = [...co].sort().join("");
      if (sorted !== "BGR" && sorted !== "BGRW") throw new ConfigError(`Invalid color_order '${co}' in section '${config.getName()}'`);
      for (const c of co) this.colorMap.push([led, "RGBW".indexOf(c)]);
    });
    if (this.colorMap.length > 500) throw new ConfigError(`neopixel chain too long in section '${config.getName()}'`);
    this.helper = new LedHelper(config, printer, (s, pt) => this.updateLeds(s, pt), chainCount);
    this.data = new Uint8Array(this.colorMap.length);
    this.fill(this.helper.state);
    this.old = this.data.map((d) => d ^ 1);
    printer.registerEventHandler("klippy:connect", () => this.sendData(null));
  }

  private buildConfig(): void {
    const mcu = this.mcu;
    mcu.addConfigCmd(
      `config_neopixel oid=${this.oid} pin=${this.pin} data_size=${this.data.length}` +
        ` bit_max_ticks=${mcu.secondsToClock(0.000004)} reset_min_ticks=${mcu.secondsToClock(0.000050)}`,
    );
    this.queue = mcu.allocCommandQueue();
  }

  private fill(state: readonly Color[]): void {
    this.colorMap.forEach(([led, ch], i) => {
      this.data[i] = byte(state[led]![ch]!);
    });
  }

  private sendData(printTime: number | null): void {
    const mcu = this.mcu;
    for (const [pos, count] of diffRuns(this.data, this.old, 5))
      mcu.sendCommand(mcu.dict.encodeCommand("neopixel_update", { oid: this.oid, pos, data: this.data.slice(pos, pos + count) }), {
        reqClock: BACKGROUND_PRIORITY_CLOCK, queue: this.queue as never,
      });
    const changed = !this.old.every((v, i) => v === this.data[i]);
    this.old.set(this.data);
    if (!changed || this.printer.startArgs.debugoutput !== undefined) return;
    // Live: ask the MCU to latch the new colours (it reports whether the bit timing held)
    const minClock = printTime === null ? 0 : mcu.printTimeToClock(printTime);
    const live = mcu as unknown as { query?(line: string, resp: string, o: object): Promise<{ params: Record<string, unknown> }> };
    if (!live.query) return;
    void (async () => {
      for (let i = 0; i < 8; i++) {
        const r = await live.query!(`neopixel_send oid=${this.oid}`, "neopixel_result", { oid: this.oid, minClock, reqClock: BACKGROUND_PRIORITY_CLOCK, queue: this.queue });
        if (r.params.success) return;
      }
      this.printer.gcode.respondInfo(`Neopixel update did not succeed`);
    })().catch((e: Error) => this.printer.gcode.respondInfo(`Neopixel update failed: ${e.message}`));
  }

  private updateLeds(state: readonly Color[], printTime: number | null): void {
    this.fill(state);
    this.sendData(printTime);
  }

  getStatus() {
    return this.helper.getStatus();
  }
}

/** [dotstar NAME]: APA102 frames (start frame, 0xff+BGR per LED, end frame) in 20-byte transfers. */
class Dotstar {
  private readonly spi: McuSpi;
  private readonly helper: LedHelper;
  private prev: readonly Color[] | null = null;

  constructor(config: ConfigSection, printer: Printer) {
    const owner = config.getName();
    const data = printer.pins.lookupPin(config.get("data_pin"), { owner });
    const clock = printer.pins.lookupPin(config.get("clock_pin"), { owner });
    if (data.chip !== clock.chip) throw new PinError(`Dotstar pins must be on same mcu (section '${owner}')`);
    this.spi = new McuSpi(printer, pinMcu(data), null, null, 0, 500000, [data.pin, data.pin, clock.pin]);
    const count = config.getInt("chain_count", 1, { minval: 1 });
    this.helper = new LedHelper(config, printer, (s, pt) => this.updateLeds(s, pt), count);
    printer.registerEventHandler("klippy:connect", () => this.updateLeds(this.helper.state, null));
  }

  private updateLeds(state: readonly Color[], printTime: number | null): void {
    if (state === this.prev) return;
    this.prev = state;
    const out = new Array((state.length + 2) * 4).fill(0);
    state.forEach(([r, g, b], i) => {
      const idx = (i + 1) * 4;
      out[idx] = 0xff;
      out[idx + 1] = byte(b);
      out[idx + 2] = byte(g);
      out[idx + 3] = byte(r);
    });
    out.fill(0xff, out.length - 4);
    const minClock = printTime === null ? 0 : this.spi.mcu.printTimeToClock(printTime);
    for (let i = 0; i < out.length; i += 20) this.spi.send(out.slice(i, i + 20), minClock, BACKGROUND_PRIORITY_CLOCK);
  }

  getStatus() {
    return this.helper.getStatus();
  }
}

/** PCA9533: two blink/PWM channels (PWM0 = 1/3, PWM1 = 2/3) and a 2-bit source per LED. */
class Pca9533 {
  private readonly helper: LedHelper;
  constructor(config: ConfigSection, printer: Printer) {
    const i2c = i2cFromConfig(config, printer, 98);
    this.helper = new LedHelper(config, printer, (state, pt) =>
      i2c.write([0b101, this.ls0(state[0]!)], pt === null ? 0 : i2c.mcu.printTimeToClock(pt), BACKGROUND_PRIORITY_CLOCK));
    printer.registerEventHandler("klippy:connect", () => {
      i2c.write([0b010, 85]);
      i2c.write([0b100, 170]);
      i2c.write([0b101, this.ls0(this.helper.state[0]!)], 0, BACKGROUND_PRIORITY_CLOCK);
    });
  }
  /** LED selector: off, PWM0, PWM1 or on, by brightness quarter. */
  private ls0(c: Color): number {
    const map = [0, 2, 3, 1, 1];
    const [r, g, b, w] = c.map((v) => map[Math.trunc(v * 4)]!) as [number, number, number, number];
    return (w << 6) | (b << 4) | (g << 2) | r;
  }
  getStatus() {
    return this.helper.getStatus();
  }
}

/** PCA9632: four 8-bit PWM outputs in the configured colour order; unchanged registers are not rewritten. */
class Pca9632 {
  private readonly helper: LedHelper;
  private readonly order: number[];
  private readonly prev = new Map<number, number>();

  constructor(config: ConfigSection, printer: Printer) {
    const i2c = i2cFromConfig(config, printer, 98);
    const co = config.get("color_order", "RGBW");
    if ([...co].sort().join("") !== "BGRW") throw new ConfigError(`Invalid color_order '${co}' in section '${config.getName()}'`);
    this.order = [...co].map((c) => "RGBW".indexOf(c));
    const write = (reg: number, val: number, minClock = 0) => {
      if (this.prev.get(reg) === val) return;
      this.prev.set(reg, val);
      i2c.write([reg, val], minClock, BACKGROUND_PRIORITY_CLOCK);
    };
    const update = (state: readonly Color[], pt: number | null) => {
      const minClock = pt === null ? 0 : i2c.mcu.printTimeToClock(pt);
      const leds = this.order.map((i) => byte(state[0]![i]!));
      leds.forEach((v, i) => write(0x02 + i, v, minClock));
      // LEDOUT: PWM mode (2) for each lit output
      write(0x08, leds.reduce((acc, v, i) => acc | (v ? 0x02 << (2 * i) : 0), 0), minClock);
    };
    this.helper = new LedHelper(config, printer, update);
    printer.registerEventHandler("klippy:connect", () => {
      write(0x00, 0x00); // MODE1
      write(0x01, 0x15); // MODE2: dimming, inverted, change on stop, totem pole
      update(this.helper.state, null);
    });
  }
  getStatus() {
    return this.helper.getStatus();
  }
}

registerModule("pca9533 ", (config, printer) => new Pca9533(config, printer));
registerModule("pca9632 ", (config, printer) => new Pca9632(config, printer));
registerModule("led ", (config, printer) => new PwmLed(config, printer));
registerModule("neopixel ", (config, printer) => new NeoPixel(config, printer));
registerModule("dotstar ", (config, printer) => new Dotstar(config, printer));
