// [adc_scaled NAME]: a pin chip NAME whose ADC pins are read relative to two reference inputs on the
// same MCU (vref = full scale, vssa = zero), both low-pass filtered over smooth_time. Used by boards
// (Duet) whose thermistor divider is not fed from the ADC reference.
import { ConfigError } from "../../core/config/errors.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import { PinError, type PinChip, type PinParams, type PinType } from "../../core/pins.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import type { McuPort } from "../../core/mcu-pins/mcu-port.ts";
import { createMcuPin, setupAdcPin } from "../../core/mcu-pins/pin-setup.ts";
import type { AdcInput, AdcSample, AdcSampleSetup, McuAdc } from "../../core/mcu-pins/mcu-adc.ts";

const SAMPLE_TIME = 0.001;
const SAMPLE_COUNT = 8;
const REPORT_TIME = 0.3;

/** An ADC pin of the scaled chip: readings mapped from [vssa, vref] to [0, 1]. */
class ScaledAdc implements AdcInput {
  private lastState: AdcSample = [0, 0];
  private readonly adc: McuAdc;

  constructor(private readonly chip: AdcScaled, params: PinParams) {
    this.adc = createMcuPin(chip.mcu, "adc", params);
  }
  get mcu(): McuPort { return this.adc.mcu; }
  setupAdcSample(s: AdcSampleSetup): void { this.adc.setupAdcSample(s); }
  setupAdcCallback(cb: (samples: AdcSample[]) => void): void {
    this.adc.setupAdcCallback((samples) => {
      const hi = this.chip.lastVref[1], lo = this.chip.lastVssa[1];
      const scaled = samples.map(([t, v]) => [t, (v - lo) / (hi - lo)] as const);
      this.lastState = scaled[scaled.length - 1]!;
      cb(scaled);
    });
  }
  getLastValue(): AdcSample { return this.lastState; }
}

export class AdcScaled implements PinChip {
  readonly name: string;
  readonly mcu: McuPort;
  lastVref: AdcSample = [0, 0];
  lastVssa: AdcSample = [0, 0];
  private readonly invSmoothTime: number;

  constructor(config: ConfigSection, printer: Printer) {
    this.name = config.getName().split(/\s+/)[1]!;
    const vref = this.configPin(printer, config, "vref", (s) => (this.lastVref = this.smooth(s, this.lastVref)));
    const vssa = this.configPin(printer, config, "vssa", (s) => (this.lastVssa = this.smooth(s, this.lastVssa)));
    this.invSmoothTime = 1 / config.getFloat("smooth_time", 2, { above: 0 })!;
    if (vref.mcu !== vssa.mcu) throw new ConfigError("vref and vssa must be on same mcu");
    this.mcu = vref.mcu;
    printer.pins.registerChip(this.name, this);
  }

  private configPin(printer: Printer, config: ConfigSection, name: string, cb: (samples: AdcSample[]) => void): AdcInput {
    const adc = setupAdcPin(printer.pins, config.get(`${name}_pin`)!, config.getName());
    adc.setupAdcCallback(cb);
    adc.setupAdcSample({ reportTime: REPORT_TIME, sampleTime: SAMPLE_TIME, sampleCount: SAMPLE_COUNT });
    return adc;
  }

  /** First-order low-pass of the latest reading over smooth_time. */
  private smooth(samples: AdcSample[], last: AdcSample): AdcSample {
    const [t, v] = samples[samples.length - 1]!;
    const adj = Math.min((t - last[0]) * this.invSmoothTime, 1);
    return [t, last[1] + (v - last[1]) * adj];
  }

  setupPin(pinType: PinType, params: PinParams): AdcInput {
    if (pinType !== "adc") throw new PinError("adc_scaled only supports adc pins");
    return new ScaledAdc(this, params);
  }
}

registerModule("adc_scaled ", (config, printer) => new AdcScaled(config, printer));
