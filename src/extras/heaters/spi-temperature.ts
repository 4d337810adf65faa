// Thermocouple / RTD converter chips on SPI (sensor_type MAX6675, MAX31855, MAX31856, MAX31865):
// the MCU reads the chip every 300 ms (config_thermocouple / query_thermocouple) and reports raw
// values (thermocouple_result), range-checked on the MCU against the heater's min/max temperature.
// `spiTemperatureFactories()` gives the sensor factories for the heaters' sensor registry.
import type { ConfigSection } from "../../core/config/section.ts";
import type { DecodedMessage } from "../../protocol/index.ts";
import { querySlot } from "../../core/mcu-pins/mcu-port.ts";
import type { Printer } from "../../core/printer.ts";
import type { TemperatureCallback, TemperatureSensor } from "./sensor.ts";
import { type McuSpi, spiFromConfig } from "../bus/bus.ts";

const REPORT_TIME = 0.3;
const MAX_INVALID_COUNT = 3;

/** Chip specifics: raw value <-> temperature and fault decoding. */
interface Chip {
  type: string;
  spiMode: number;
  calcTemp(adc: number): number;
  calcAdc(temp: number): number;
  faults(fault: number): string[];
  /** Register writes sent once at startup (and to clear a fault). */
  init?: number[];
  reinitOnFault?: boolean;
}

class SpiTemperatureSensor implements TemperatureSensor {
  private readonly spi: McuSpi;
  private readonly oid: number;
  private callback: TemperatureCallback | null = null;
  private minValue = 0;
  private maxValue = 0;
  private reportTicks = 0;
  /** Last fault messages (faults are reported, the MCU's range check stops the heater). */
  lastFaults: string[] = [];

  constructor(config: ConfigSection, printer: Printer, private readonly chip: Chip) {
    this.spi = spiFromConfig(config, printer, chip.spiMode, { pinOption: "sensor_pin", defaultSpeed: 4000000 });
    if (chip.init) this.spi.send(chip.init);
    const mcu = this.spi.mcu;
    this.oid = mcu.createOid();
    mcu.registerResponse("thermocouple_result", this.oid, (m) => this.onResult(m));
    mcu.registerConfigCallback(() => {
      mcu.addConfigCmd(`config_thermocouple oid=${this.oid} spi_oid=${this.spi.oid} thermocouple_type=${chip.type}`);
      this.reportTicks = mcu.secondsToClock(REPORT_TIME);
      mcu.addConfigCmd(
        `query_thermocouple oid=${this.oid} clock=${querySlot(mcu, this.oid)} rest_ticks=${this.reportTicks}` +
          ` min_value=${this.minValue} max_value=${this.maxValue} max_invalid_count=${MAX_INVALID_COUNT}`,
        { isInit: true },
      );
    });
  }

  setupMinmax(minTemp: number, maxTemp: number): void {
    const a = this.chip.calcAdc(minTemp);
    const b = this.chip.calcAdc(maxTemp);
    this.minValue = Math.min(a, b);
    this.maxValue = Math.max(a, b);
  }

  setupCallback(cb: TemperatureCallback): void {
    this.callback = cb;
  }

  getReportTimeDelta(): number {
    return REPORT_TIME;
  }

  private onResult(m: DecodedMessage): void {
    const value = m.params.value as number;
    const fault = m.params.fault as number;
    if (fault) {
      this.lastFaults = this.chip.faults(fault);
      if (this.chip.reinitOnFault && this.chip.init) this.spi.send(this.chip.init);
      return;
    }
    const mcu = this.spi.mcu;
    const nextClock = mcu.clock32ToClock64(m.params.next_clock as number);
    this.callback?.(mcu.clockToPrintTime(nextClock - this.reportTicks), this.chip.calcTemp(value));
  }
}

/** Signed thermocouple reading: `bits`-bit two's-complement-like field above `shift`, `mult` degrees per LSB. */
export function thermocouple(type: string, spiMode: number, shift: number, bits: number, mult: number, faults: [number, string][], init?: number[]): Chip {
  const sign = 1 << (bits - 1);
  const mask = sign - 1;
  return {
    type,
    spiMode,
    init,
    calcTemp(adc) {
      let v = Math.floor(adc / 2 ** shift);
      if (v & sign) v = -((v & mask) + 1);
      return mult * v;
    },
    calcAdc(temp) {
      return Math.max(0, Math.min(mask, Math.trunc(temp / mult + 0.5))) * 2 ** shift;
    },
    faults: (f) => faults.filter(([bit]) => f & bit).map(([, msg]) => msg),
  };
}

/** Callendar-Van Dusen coefficients of platinum RTDs. */
const CVD_A = 3.9083e-3;
const CVD_B = -5.775e-7;
const MAX31865_ADC_MAX = 1 << 15;

function max31865(config: ConfigSection): Chip {
  const nominal = config.getFloat("rtd_nominal_r", 100, { above: 0 });
  const reference = config.getFloat("rtd_reference_r", 430, { above: 0 });
  const perLsb = reference / MAX31865_ADC_MAX / nominal;
  // bias on, automatic conversion, clear faults; optional 50 Hz filter and 3-wire mode
  let value = 0x80 | 0x40 | 0x02;
  if (config.getBoolean("rtd_use_50Hz_filter", false)) value |= 0x01;
  if (config.getInt("rtd_num_of_wires", 2) === 3) value |= 0x10;
  return {
    type: "MAX31865",
    spiMode: 1,
    init: [0x80, value],
    reinitOnFault: true,
    calcTemp(adc) {
      const r = (adc >> 1) * perLsb; // bit 0 is the fault flag
      return (-CVD_A + Math.sqrt(CVD_A * CVD_A - 4 * CVD_B * (1 - r))) / (2 * CVD_B);
    },
    calcAdc(temp) {
      const t = Math.min(temp, 1768.3); // platinum melts
      const r = 1 + CVD_A * t + CVD_B * t * t;
      return Math.max(0, Math.min(MAX31865_ADC_MAX - 1, Math.trunc(r / perLsb + 0.5))) << 1;
    },
    faults(f) {
      const msgs: [number, string][] = [
        [0x80, "Max31865 RTD input is disconnected"], [0x40, "Max31865 RTD input is shorted"],
        [0x20, "Max31865 VREF- is greater than 0.85 * VBIAS, FORCE- open"], [0x10, "Max31865 VREF- is less than 0.85 * VBIAS, FORCE- open"],
        [0x08, "Max31865 VRTD- is less than 0.85 * VBIAS, FORCE- open"], [0x04, "Max31865 Overvoltage or undervoltage fault"],
      ];
      const out = msgs.filter(([b]) => f & b).map(([, m]) => m);
      return f & 0xfc ? out : [...out, "Max31865 Unspecified error"];
    },
  };
}

function max31856(config: ConfigSection): Chip {
  // CR0: automatic conversion (+ 50 Hz filter); CR1: averaging and thermocouple type; MASK: report only
  // over/under-voltage and open circuit
  let cr0 = 0x80;
  if (config.getBoolean("tc_use_50Hz_filter", false)) cr0 |= 0x01;
  const types: Record<string, number> = { B: 0, E: 1, J: 2, K: 3, N: 4, R: 5, S: 6, T: 7 };
  const averaging: Record<string, number> = { "1": 0x00, "2": 0x10, "4": 0x20, "8": 0x30, "16": 0x70 };
  const cr1 = config.getChoice("tc_type", types, "K") | config.getChoice("tc_averaging_count", averaging, "1");
  return thermocouple("MAX31856", 1, 5, 19, 0.0078125, [
    [0x80, "Max31856: Cold Junction Range Fault"], [0x40, "Max31856: Thermocouple Range Fault"],
    [0x20, "Max31856: Cold Junction High Fault"], [0x10, "Max31856: Cold Junction Low Fault"],
    [0x08, "Max31856: Thermocouple High Fault"], [0x04, "Max31856: Thermocouple Low Fault"],
    [0x02, "Max31856: Over/Under Voltage Fault"], [0x01, "Max31856: Thermocouple Open Fault"],
  ], [0x80, cr0, cr1, 0x02 | 0x01]);
}

type Factory = (config: ConfigSection) => TemperatureSensor;

/** sensor_type name -> factory, for PrinterHeaters.addSensorFactory. */
export function spiTemperatureFactories(printer: Printer): Map<string, Factory> {
  const make = (chip: (c: ConfigSection) => Chip): Factory => (c) => new SpiTemperatureSensor(c, printer, chip(c));
  return new Map<string, Factory>([
    ["MAX6675", make(() => thermocouple("MAX6675", 0, 3, 14, 0.25, [[0x02, "Max6675 : Device ID error"], [0x04, "Max6675 : Thermocouple Open Fault"]]))],
    ["MAX31855", make(() => thermocouple("MAX31855", 0, 18, 14, 0.25, [[0x1, "MAX31855 : Open Circuit"], [0x2, "MAX31855 : Short to GND"], [0x4, "MAX31855 : Short to Vcc"]]))],
    ["MAX31856", make(max31856)],
    ["MAX31865", make(max31865)],
  ]);
}
