// The "buttons" service: digital buttons polled by the MCU (config_buttons / buttons_add /
// buttons_query, up to 8 pins per group, state changes reported in buttons_state and acked),
// analog button ladders on an ADC pin, rotary encoders and debounced buttons. Callbacks get
// (eventTime, state).
import type { DecodedMessage } from "../../protocol/index.ts";
import { ConfigError } from "../../core/config/errors.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import { hostTime, lookupReactor } from "../../core/host-timers.ts";
import type { AdcInput, AdcSample } from "../../core/mcu-pins/mcu-adc.ts";
import { type McuPort, querySlot } from "../../core/mcu-pins/mcu-port.ts";
import { setupAdcPin } from "../../core/mcu-pins/pin-setup.ts";
import { PinError, type PinParams } from "../../core/pins.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { pinMcu } from "../bus/bus.ts";

export type ButtonCallback = (eventTime: number, state: number) => void;

const QUERY_TIME = 0.002;
const RETRANSMIT_COUNT = 50;

/** Run a callback soon on the event loop (or right away without one). */
function later(printer: Printer, cb: () => void, when?: number): void {
  const reactor = lookupReactor(printer);
  if (!reactor) {
    cb();
    return;
  }
  reactor.setTimer(`buttons:${++laterSeq}`, when ?? reactor.monotonic(), cb);
}
let laterSeq = 0;

/** Up to 8 button pins of one MCU, reported together. */
class McuButtons {
  readonly pins: [string, number][] = [];
  private readonly callbacks: [mask: number, shift: number, cb: ButtonCallback][] = [];
  private invert = 0;
  private lastButton = 0;
  private ackCount = 0;
  private oid = -1;

  constructor(private readonly printer: Printer, readonly mcu: McuPort) {
    mcu.registerConfigCallback(() => this.buildConfig());
  }

  setupButtons(pins: PinParams[], cb: ButtonCallback): void {
    const shift = this.pins.length;
    let mask = 0;
    for (const p of pins) {
      if (p.invert) this.invert |= 1 << this.pins.length;
      mask |= 1 << this.pins.length;
      this.pins.push([p.pin, p.pullup]);
    }
    this.callbacks.push([mask, shift, cb]);
  }

  private buildConfig(): void {
    if (!this.pins.length) return;
    const mcu = this.mcu;
    this.oid = mcu.createOid();
    mcu.addConfigCmd(`config_buttons oid=${this.oid} button_count=${this.pins.length}`);
    this.pins.forEach(([pin, pullup], i) => mcu.addConfigCmd(`buttons_add oid=${this.oid} pos=${i} pin=${pin} pull_up=${pullup}`, { isInit: true }));
    const queue = mcu.allocCommandQueue();
    mcu.addConfigCmd(
      `buttons_query oid=${this.oid} clock=${querySlot(mcu, this.oid)} rest_ticks=${mcu.secondsToClock(QUERY_TIME)}` +
        ` retransmit_count=${RETRANSMIT_COUNT} invert=${this.invert}`,
      { isInit: true },
    );
    mcu.registerResponse("buttons_state", this.oid, (msg) => this.handleState(msg, queue));
  }

  private handleState(msg: DecodedMessage, queue: unknown): void {
    // ack_count is 8 bits on the wire
    let diff = ((msg.params.ack_count as number) - this.ackCount) & 0xff;
    diff -= (diff & 0x80) << 1;
    const msgAckCount = this.ackCount + diff;
    const buttons = msg.params.state as Uint8Array;
    const newCount = msgAckCount + buttons.length - this.ackCount;
    if (newCount <= 0) return;
    const fresh = buttons.subarray(buttons.length - newCount);
    this.mcu.sendCommand(this.mcu.dict.encodeCommand("buttons_ack", { oid: this.oid, count: newCount }), { queue: queue as never });
    this.ackCount += newCount;
    const btime = (msg as { receiveTime?: number }).receiveTime ?? hostTime(this.printer);
    for (const raw of fresh) {
      const button = raw ^ this.invert;
      const changed = button ^ this.lastButton;
      this.lastButton = button;
      for (const [mask, shift, cb] of this.callbacks) {
        if (changed & mask) {
          const state = (button & mask) >> shift;
          later(this.printer, () => cb(btime, state));
        }
      }
    }
  }
}

const ADC_REPORT_TIME = 0.010;
const ADC_DEBOUNCE_TIME = 0.025;
const ADC_SAMPLE_TIME = 0.001;
const ADC_SAMPLE_COUNT = 6;
const ADC_BATCH_COUNT = 5;

/** Buttons on a resistor ladder read by one ADC pin: each button is a resistance window. */
class AdcButtons {
  private readonly buttons: [min: number, max: number, cb: ButtonCallback][] = [];
  private minValue = Infinity;
  private maxValue = 0;
  private lastButton: number | null = null;
  private lastPressed: number | null = null;
  private lastDebounceTime = 0;
  readonly adc: AdcInput;

  constructor(private readonly printer: Printer, pin: string, private readonly pullup: number, owner: string) {
    this.adc = setupAdcPin(printer.pins, pin, owner);
    this.adc.setupAdcSample({ reportTime: ADC_REPORT_TIME, sampleTime: ADC_SAMPLE_TIME, sampleCount: ADC_SAMPLE_COUNT, batchNum: ADC_BATCH_COUNT });
    this.adc.setupAdcCallback((samples) => this.onSamples(samples));
  }

  setupButton(min: number, max: number, cb: ButtonCallback): void {
    this.minValue = Math.min(this.minValue, min);
    this.maxValue = Math.max(this.maxValue, max);
    this.buttons.push([min, max, cb]);
  }

  private onSamples(samples: readonly AdcSample[]): void {
    for (const [readTime, readValue] of samples) {
      const adc = Math.max(0.00001, Math.min(0.99999, readValue));
      const value = (this.pullup * adc) / (1 - adc);
      let btn: number | null = null;
      if (value >= this.minValue && value <= this.maxValue) {
        const i = this.buttons.findIndex(([lo, hi]) => lo < value && value < hi);
        btn = i < 0 ? null : i;
      }
      if (btn !== this.lastButton) this.lastDebounceTime = readTime;
      if (readTime - this.lastDebounceTime >= ADC_DEBOUNCE_TIME && this.lastButton === btn && this.lastPressed !== btn) {
        if (this.lastPressed !== null) {
          this.call(this.lastPressed, 0);
          this.lastPressed = null;
        }
        if (btn !== null) {
          this.call(btn, 1);
          this.lastPressed = btn;
        }
      }
      this.lastButton = btn;
    }
  }

  private call(i: number, state: number): void {
    const cb = this.buttons[i]![2];
    later(this.printer, () => cb(hostTime(this.printer), state));
  }
}

// Rotary encoder state machines (transition tables after Ben Buxton's "Rotary" decoder).
const R_START = 0x0;
const R_DIR_CW = 0x10;
const R_DIR_CCW = 0x20;
const R_DIR_MSK = 0x30;
// Full step: one count per detent cycle (emits at 00)
const FULL_STEP: number[][] = [
  [R_START, 0x2, 0x4, R_START],
  [0x3, R_START, 0x1, R_START | R_DIR_CW],
  [0x3, 0x2, R_START, R_START],
  [0x3, 0x2, 0x1, R_START],
  [0x6, R_START, 0x4, R_START],
  [0x6, 0x5, R_START, R_START | R_DIR_CCW],
  [0x6, 0x5, 0x4, R_START],
];
// Half step: counts at 00 and 11
const HALF_STEP: number[][] = [
  [0x3, 0x2, 0x1, R_START],
  [0x3 | R_DIR_CCW, R_START, 0x1, R_START],
  [0x3 | R_DIR_CW, 0x2, R_START, R_START],
  [0x3, 0x5, 0x4, R_START],
  [0x3, 0x3, 0x4, R_START | R_DIR_CW],
  [0x3, 0x5, 0x3, R_START | R_DIR_CCW],
];

export class RotaryEncoder {
  private state = R_START;
  constructor(private readonly table: number[][], private readonly cw: (t: number) => void, private readonly ccw: (t: number) => void) {}
  onChange(eventTime: number, pins: number): void {
    this.state = this.table[this.state & 0xf]![pins & 0x3]!;
    const dir = this.state & R_DIR_MSK;
    if (dir === R_DIR_CW) this.cw(eventTime);
    else if (dir === R_DIR_CCW) this.ccw(eventTime);
  }
}

/** A button whose state must hold for debounce_delay seconds before it counts. */
class DebounceButton {
  private logical: number | null = null;
  private physical: number | null = null;
  private latest = 0;
  private readonly delay: number;
  constructor(config: ConfigSection, private readonly printer: Printer, private readonly action: ButtonCallback) {
    this.delay = config.getFloat("debounce_delay", 0, { minval: 0 });
  }
  handler(eventTime: number, state: number): void {
    this.physical = state;
    this.latest = eventTime;
    if (this.logical === this.physical) return;
    later(this.printer, () => this.settle(eventTime + this.delay), eventTime + this.delay);
  }
  private settle(eventTime: number): void {
    if (this.logical === this.physical) return;
    if (eventTime - this.delay < this.latest) return; // superseded by a newer change
    this.logical = this.physical;
    this.action(this.latest, this.logical!);
  }
}

export class PrinterButtons {
  private readonly mcuButtons = new Map<string, McuButtons>();
  private readonly adcButtons = new Map<string, AdcButtons>();

  constructor(private readonly printer: Printer) {}

  /** `owner`: the config section the pins belong to (named in pin errors). */
  registerButtons(pins: string[], cb: ButtonCallback, owner?: string): void {
    let mcu: McuPort | null = null;
    let mcuName = "";
    const params = pins.map((desc) => {
      const p = this.printer.pins.lookupPin(desc, { canInvert: true, canPullup: true, owner });
      const m = pinMcu(p);
      if (mcu !== null && m !== mcu) throw new PinError("button pins must be on same mcu");
      mcu = m;
      mcuName = p.chipName;
      return p;
    });
    let group = this.mcuButtons.get(mcuName);
    if (!group || group.pins.length + params.length > 8) {
      group = new McuButtons(this.printer, mcu!);
      this.mcuButtons.set(mcuName, group);
    }
    group.setupButtons(params, cb);
  }

  registerDebounceButton(pin: string, cb: ButtonCallback, config: ConfigSection): void {
    const d = new DebounceButton(config, this.printer, cb);
    this.registerButtons([pin], (t, s) => d.handler(t, s), config.getName());
  }

  registerAdcButton(pin: string, min: number, max: number, pullup: number, cb: ButtonCallback, owner = "buttons"): void {
    let group = this.adcButtons.get(pin);
    if (!group) {
      group = new AdcButtons(this.printer, pin, pullup, owner);
      this.adcButtons.set(pin, group);
    }
    group.setupButton(min, max, cb);
  }

  registerDebounceAdcButton(pin: string, min: number, max: number, pullup: number, cb: ButtonCallback, config: ConfigSection): void {
    const d = new DebounceButton(config, this.printer, cb);
    this.registerAdcButton(pin, min, max, pullup, (t, s) => d.handler(t, s), config.getName());
  }

  registerRotaryEncoder(pin1: string, pin2: string, cw: (t: number) => void, ccw: (t: number) => void, stepsPerDetent: number, owner?: string): void {
    const table = stepsPerDetent === 2 ? HALF_STEP : stepsPerDetent === 4 ? FULL_STEP : null;
    if (!table) throw new ConfigError(`${stepsPerDetent} steps per detent not supported`);
    const enc = new RotaryEncoder(table, cw, ccw);
    this.registerButtons([pin1, pin2], (t, s) => enc.onChange(t, s), owner);
  }
}

export function lookupButtons(printer: Printer): PrinterButtons {
  return printer.loadObject<PrinterButtons>("buttons");
}

registerModule("buttons", (_config, printer) => new PrinterButtons(printer));
