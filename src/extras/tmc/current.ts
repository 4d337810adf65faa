// Motor current → driver register bits. Three schemes (datasheet formulas):
//  * TMC2130/2208/2209: I_rms = (CS+1)/32 · V_fs/(R_sense+20mΩ) / √2, V_fs 0.32 V or 0.18 V (vsense=1)
//  * TMC2660: I_rms = (CS+1)/32 · V_fs/R_sense / √2, V_fs 0.310 V or 0.165 V (vsense=1)
//  * TMC5160: I_rms = GLOBALSCALER/256 · (CS+1)/32 · V_fs/R_sense / √2, V_fs 0.325 V
//  * TMC2240: I_rms = GLOBALSCALER/256 · (CS+1)/32 · I_fs_rms, I_fs = K_ifs[range]/R_ref
import type { ConfigSection } from "../../core/config/section.ts";
import type { TmcFields } from "./fields.ts";

export interface CurrentHelper {
  /** [run, hold (null if the driver has none), requested hold, maximum]. */
  getCurrent(): [number, number | null, number | null, number];
  /** Update the fields; returns the registers to write, in order. */
  setCurrent(run: number, hold: number): string[];
}

const SQRT2 = Math.SQRT2;
const clampCs = (cs: number) => Math.max(0, Math.min(31, cs));

/** Choose vsense and CS bits: the high-sensitivity range unless the low one gets closer at CS=31. */
function vsenseCurrent(current: number, toBits: (cur: number, vsense: boolean) => number, fromBits: (cs: number, vsense: boolean) => number): [boolean, number] {
  let irun = toBits(current, true);
  let vsense = true;
  if (irun === 31) {
    const cur = fromBits(irun, true);
    if (cur < current) {
      const irun2 = toBits(current, false);
      const cur2 = fromBits(irun2, false);
      if (Math.abs(current - cur2) < Math.abs(current - cur)) {
        vsense = false;
        irun = irun2;
      }
    }
  }
  return [vsense, irun];
}

/** TMC2130, TMC2208, TMC2209. */
export class VsenseCurrentHelper implements CurrentHelper {
  static readonly MAX_CURRENT = 2.0;
  private reqHold: number;
  private readonly senseResistor: number;

  constructor(config: ConfigSection, private readonly fields: TmcFields) {
    const max = VsenseCurrentHelper.MAX_CURRENT;
    const run = config.getFloat("run_current", undefined, { above: 0, maxval: max });
    const hold = config.getFloat("hold_current", max, { above: 0, maxval: max });
    this.reqHold = hold;
    this.senseResistor = config.getFloat("sense_resistor", 0.110, { above: 0 });
    this.apply(run, hold);
  }

  private vref(vsense: boolean): number {
    return vsense ? 0.18 : 0.32;
  }

  bits(current: number, vsense: boolean): number {
    const r = this.senseResistor + 0.020;
    return clampCs(Math.trunc((32 * r * current * SQRT2) / this.vref(vsense) + 0.5) - 1);
  }

  current(cs: number, vsense: boolean): number {
    return ((cs + 1) * this.vref(vsense)) / (32 * (this.senseResistor + 0.020) * SQRT2);
  }

  private apply(run: number, hold: number): boolean {
    const [vsense, irun] = vsenseCurrent(run, (c, v) => this.bits(c, v), (b, v) => this.current(b, v));
    const ihold = this.bits(Math.min(hold, run), vsense);
    const changed = vsense !== Boolean(this.fields.getField("vsense"));
    this.fields.setField("vsense", vsense);
    this.fields.setField("ihold", ihold);
    this.fields.setField("irun", irun);
    return changed;
  }

  getCurrent(): [number, number, number, number] {
    const vsense = Boolean(this.fields.getField("vsense"));
    return [this.current(this.fields.getField("irun"), vsense), this.current(this.fields.getField("ihold"), vsense), this.reqHold, VsenseCurrentHelper.MAX_CURRENT];
  }

  setCurrent(run: number, hold: number): string[] {
    this.reqHold = hold;
    const vsenseChanged = this.apply(run, hold);
    return vsenseChanged ? ["CHOPCONF", "IHOLD_IRUN"] : ["IHOLD_IRUN"];
  }
}

/** TMC2660: one current (CS in SGCSCONF), vsense in DRVCONF; optional reduced idle current. */
export class Tmc2660CurrentHelper implements CurrentHelper {
  static readonly MAX_CURRENT = 2.4;
  runCurrent: number;
  readonly idlePercent: number;
  private readonly senseResistor: number;

  constructor(config: ConfigSection, private readonly fields: TmcFields) {
    this.runCurrent = config.getFloat("run_current", undefined, { minval: 0.1, maxval: Tmc2660CurrentHelper.MAX_CURRENT });
    this.senseResistor = config.getFloat("sense_resistor");
    const [vsense, cs] = this.calc(this.runCurrent);
    fields.setField("cs", cs);
    fields.setField("vsense", vsense);
    this.idlePercent = config.getInt("idle_current_percent", 100, { minval: 0, maxval: 100 });
  }

  private vref(vsense: boolean): number {
    return vsense ? 0.165 : 0.310;
  }

  bits(current: number, vsense: boolean): number {
    return clampCs(Math.trunc((32 * this.senseResistor * current * SQRT2) / this.vref(vsense) + 0.5) - 1);
  }

  current(cs: number, vsense: boolean): number {
    return ((cs + 1) * this.vref(vsense)) / (32 * this.senseResistor * SQRT2);
  }

  calc(current: number): [boolean, number] {
    return vsenseCurrent(current, (c, v) => this.bits(c, v), (b, v) => this.current(b, v));
  }

  /** Set the fields for a current; returns the registers to write. */
  update(current: number): string[] {
    const [vsense, cs] = this.calc(current);
    this.fields.setField("cs", cs);
    if (vsense === Boolean(this.fields.getField("vsense"))) return ["SGCSCONF"];
    this.fields.setField("vsense", vsense);
    return ["SGCSCONF", "DRVCONF"];
  }

  getCurrent(): [number, null, null, number] {
    return [this.runCurrent, null, null, Tmc2660CurrentHelper.MAX_CURRENT];
  }

  setCurrent(run: number): string[] {
    this.runCurrent = run;
    return this.update(run);
  }
}

/** GLOBALSCALER drivers: TMC5160 (sense resistor) and TMC2240 (R_ref and current range). */
export class GlobalScalerCurrentHelper implements CurrentHelper {
  private reqHold: number;
  /** Full-scale RMS current at GLOBALSCALER=256, CS=31 (TMC2240: of the selected range). */
  private readonly fullScale: () => number;
  private readonly max: () => number;

  private constructor(private readonly fields: TmcFields, fullScale: () => number, max: () => number, run: number, hold: number, beforeApply?: (run: number) => void) {
    this.fullScale = fullScale;
    this.max = max;
    this.reqHold = hold;
    beforeApply?.(run);
    this.apply(run, hold);
  }

  static tmc5160(config: ConfigSection, fields: TmcFields): GlobalScalerCurrentHelper {
    const max = 10.0; // depends on the board; a sanity limit
    const run = config.getFloat("run_current", undefined, { above: 0, maxval: max });
    const hold = config.getFloat("hold_current", max, { above: 0, maxval: max });
    const sense = config.getFloat("sense_resistor", 0.075, { above: 0 });
    return new GlobalScalerCurrentHelper(fields, () => 0.325 / (sense * SQRT2), () => max, run, hold);
  }

  static tmc2240(config: ConfigSection, fields: TmcFields): GlobalScalerCurrentHelper {
    const rref = config.getFloat("rref", 12000, { minval: 12000, maxval: 60000 });
    const KIFS = [11750, 24000, 36000, 36000];
    const ifsRms = (range: number) => KIFS[range]! / rref / SQRT2;
    const max = ifsRms(3);
    const run = config.getFloat("run_current", undefined, { above: 0, maxval: max });
    const hold = config.getFloat("hold_current", max, { above: 0, maxval: max });
    const pickRange = (current: number) => {
      let range = 0;
      while (range < 3 && current > ifsRms(range)) range++;
      fields.setField("current_range", range);
    };
    const rangeFullScale = () => ifsRms(fields.getField("current_range"));
    return new GlobalScalerCurrentHelper(fields, rangeFullScale, rangeFullScale, run, hold, pickRange);
  }

  globalScaler(current: number): number {
    const gs = Math.max(32, Math.trunc((current * 256) / this.fullScale() + 0.5));
    return gs >= 256 ? 0 : gs; // 0 means 256
  }

  bits(current: number, gs: number): number {
    return clampCs(Math.trunc((current * 256 * 32) / ((gs || 256) * this.fullScale()) - 1 + 0.5));
  }

  private fromField(field: string): number {
    const gs = this.fields.getField("globalscaler") || 256;
    return (gs * (this.fields.getField(field) + 1) * this.fullScale()) / (256 * 32);
  }

  private apply(run: number, hold: number): void {
    const gs = this.globalScaler(run);
    this.fields.setField("globalscaler", gs);
    this.fields.setField("ihold", this.bits(Math.min(hold, run), gs));
    this.fields.setField("irun", this.bits(run, gs));
  }

  getCurrent(): [number, number, number, number] {
    return [this.fromField("irun"), this.fromField("ihold"), this.reqHold, this.max()];
  }

  setCurrent(run: number, hold: number): string[] {
    this.reqHold = hold;
    this.apply(run, hold);
    return ["GLOBALSCALER", "IHOLD_IRUN"];
  }
}
