// An analog input on an MCU pin, sampled periodically by the MCU (query_analog_in), with an on-MCU range
// check: the MCU shuts itself down ("ADC out of range") when range_check_count reports in a row fall
// outside [min_value, max_value]. That check is what keeps a heater safe when the host stalls.
import type { DecodedMessage } from "../../protocol/index.ts";
import { type McuPort, PinConfigError, querySlot } from "./mcu-port.ts";

/** One reading: print time of the sample and the value as a fraction of full scale. */
export type AdcSample = readonly [printTime: number, value: number];

export interface AdcSampleSetup {
  reportTime: number;
  sampleTime?: number;
  sampleCount?: number;
  batchNum?: number;
  /** Range check bounds as fractions of full scale. */
  minValue?: number;
  maxValue?: number;
  rangeCheckCount?: number;
}

/** Largest raw sum the MCU can report in one 16-bit value. */
const MAX_RAW = 0xffff;

/** An analog input as sensors use it: an McuAdc, or a scaled one ([adc_scaled]). */
export interface AdcInput {
  readonly mcu: McuPort;
  setupAdcSample(s: AdcSampleSetup): void;
  setupAdcCallback(cb: (samples: AdcSample[]) => void): void;
  getLastValue(): AdcSample;
}

export class McuAdc implements AdcInput {
  private setup: Required<AdcSampleSetup> | null = null;
  private oid = -1;
  private invMaxAdc = 0;
  private reportClock = 0;
  private callback: ((samples: AdcSample[]) => void) | null = null;
  private lastState: AdcSample = [0, 0];
  /** Raw range-check bounds sent to the MCU (sum of sample_count readings). */
  rawMin = 0;
  rawMax = 0;

  constructor(readonly mcu: McuPort, readonly pin: string) {
    mcu.registerConfigCallback(() => this.buildConfig());
  }

  setupAdcSample(s: AdcSampleSetup): void {
    this.setup = {
      reportTime: s.reportTime,
      sampleTime: s.sampleTime ?? 0,
      sampleCount: s.sampleCount ?? 1,
      batchNum: Math.max(1, Math.min(24, s.batchNum ?? 1)),
      minValue: s.minValue ?? 0,
      maxValue: s.maxValue ?? 1,
      rangeCheckCount: s.rangeCheckCount ?? 0,
    };
  }
  setupAdcCallback(cb: (samples: AdcSample[]) => void): void { this.callback = cb; }
  getLastValue(): AdcSample { return this.lastState; }

  private buildConfig(): void {
    const s = this.setup;
    if (!s || !s.sampleCount) return;
    const mcu = this.mcu;
    this.oid = mcu.createOid();
    mcu.addConfigCmd(`config_analog_in oid=${this.oid} pin=${this.pin}`);
    const clock = querySlot(mcu, this.oid);
    const sampleTicks = mcu.secondsToClock(s.sampleTime);
    const maxAdc = s.sampleCount * mcu.getConstantFloat("ADC_MAX");
    if (maxAdc >= 1 << 16) throw new PinConfigError(`ADC sample_count=${s.sampleCount} too large for MCU`);
    this.invMaxAdc = 1 / maxAdc;
    this.reportClock = mcu.secondsToClock(s.reportTime);
    [this.rawMin, this.rawMax] = rawRange(s.minValue, s.maxValue, maxAdc);
    if (s.batchNum === 1 && firmwareHasCommandFormat(mcu, OLD_QUERY_FORMAT)) {
      // Firmware from before batched ADC reports: one value per analog_in_state.
      mcu.addConfigCmd(
        `query_analog_in oid=${this.oid} clock=${clock} sample_ticks=${sampleTicks} sample_count=${s.sampleCount}` +
          ` rest_ticks=${this.reportClock} min_value=${this.rawMin} max_value=${this.rawMax}` +
          ` range_check_count=${s.rangeCheckCount}`,
        { isInit: true },
      );
      mcu.registerResponse("analog_in_state", this.oid, (msg) => this.handleState(msg));
      return;
    }
    const bytesPerReport = s.batchNum * 2;
    mcu.addConfigCmd(
      `query_analog_in oid=${this.oid} clock=${clock} sample_ticks=${sampleTicks} sample_count=${s.sampleCount}` +
        ` rest_ticks=${this.reportClock} bytes_per_report=${bytesPerReport}` +
        ` min_value=${this.rawMin} max_value=${this.rawMax} range_check_count=${s.rangeCheckCount}`,
      { isInit: true },
    );
    mcu.registerResponse("analog_in_state", this.oid, (msg) => this.handleState(msg));
  }

  private handleState(msg: DecodedMessage): void {
    const nextClock32 = msg.params.next_clock;
    const single = msg.params.value;
    const values = typeof single === "number" ? new Uint8Array([single & 0xff, single >> 8]) : msg.params.values;
    if (!(values instanceof Uint8Array) || typeof nextClock32 !== "number") return;
    const nextClock = this.mcu.clock32ToClock64(nextClock32);
    const n = values.length >> 1;
    if (!n) return;
    const samples: AdcSample[] = [];
    for (let i = 0; i < n; i++) {
      const raw = values[2 * i]! | (values[2 * i + 1]! << 8);
      samples.push([this.mcu.clockToPrintTime(nextClock - (n - i) * this.reportClock), raw * this.invMaxAdc]);
    }
    this.lastState = samples[n - 1]!;
    this.callback?.(samples);
  }
}

/** Range-check bounds in raw ADC sums: the minimum rounded down, the maximum up (never too strict). */
export function rawRange(minValue: number, maxValue: number, maxAdc: number): [number, number] {
  return [
    Math.max(0, Math.min(MAX_RAW, Math.trunc(minValue * maxAdc))),
    Math.max(0, Math.min(MAX_RAW, Math.ceil(maxValue * maxAdc))),
  ];
}

const OLD_QUERY_FORMAT =
  "query_analog_in oid=%c clock=%u sample_ticks=%u sample_count=%c rest_ticks=%u min_value=%hu max_value=%hu range_check_count=%c";

function firmwareHasCommandFormat(mcu: McuPort, format: string): boolean {
  const json = mcu.dict.json as { commands?: Record<string, unknown> } | null;
  return !!json?.commands && Object.hasOwn(json.commands, format);
}
