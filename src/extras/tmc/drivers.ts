// The [tmc2130|tmc2208|tmc2209|tmc2660|tmc5160|tmc2240 stepper_name] sections: each driver's bus,
// current scheme and register defaults (driver_XXX options), set up in Klipper's order so that
// registers are written in the same order.
import { ConfigError } from "../../core/config/errors.ts";
import type { ConfigSection } from "../../core/config/section.ts";
import { type Printer, registerModule } from "../../core/printer.ts";
import { GlobalScalerCurrentHelper, Tmc2660CurrentHelper, VsenseCurrentHelper } from "./current.ts";
import { TmcDriver } from "./driver.ts";
import * as R from "./registers.ts";
import { Tmc2660Spi, TmcSpi } from "./tmc-bus.ts";
import { TmcUart } from "./uart.ts";

const lastName = (config: ConfigSection) => config.getName().split(/\s+/).at(-1)!;

/** The status/phase interface other modules (endstop_phase, the API) use. */
class TmcSection {
  constructor(readonly driver: TmcDriver) {}
  getStatus(): Record<string, unknown> {
    return this.driver.getStatus();
  }
  getPhaseOffset(): [number | null, number] {
    return this.driver.getPhaseOffset();
  }
}

/** CoolStep defaults (driver_SEMIN ... driver_SEIMIN), shared by the drivers that have COOLCONF. */
const COOLSTEP: [string, number][] = [["semin", 0], ["seup", 0], ["semax", 0], ["sedn", 0], ["seimin", 0]];

/** StealthChop, CoolStep and high-velocity thresholds (TMC2130, TMC5160, TMC2240). */
function setupThresholds(d: TmcDriver): void {
  d.setupStealthchop();
  d.setupCoolstepThreshold();
  d.setupHighVelocityThreshold();
}

function tmc2130(config: ConfigSection, printer: Printer): TmcSection {
  const d = new TmcDriver(config, printer, {
    registers: R.TMC2130,
    makeBus: () => new TmcSpi(config, printer, lastName(config), R.TMC2130.addresses),
    makeCurrent: (f) => new VsenseCurrentHelper(config, f),
    virtualPin: true,
  });
  d.setupWaveTable();
  setupThresholds(d);
  d.configFields([
    ["toff", 4], ["hstrt", 0], ["hend", 7], ["tbl", 1], ["vhighfs", 0], ["vhighchm", 0],
    ...COOLSTEP, ["sgt", 0], ["sfilt", 0],
    ["iholddelay", 8],
    ["pwm_ampl", 128], ["pwm_grad", 4], ["pwm_freq", 1], ["pwm_autoscale", true], ["freewheel", 0],
    ["tpowerdown", 0],
  ]);
  return new TmcSection(d);
}

const UART_PWMCONF: [string, number | boolean][] = [
  ["pwm_ofs", 36], ["pwm_grad", 14], ["pwm_freq", 1], ["pwm_autoscale", true], ["pwm_autograd", true],
  ["freewheel", 0], ["pwm_reg", 8], ["pwm_lim", 12],
];

function tmc2208(config: ConfigSection, printer: Printer): TmcSection {
  const d = new TmcDriver(config, printer, {
    registers: R.TMC2208,
    makeBus: () => new TmcUart(config, printer, lastName(config), R.TMC2208.addresses, 0),
    afterBus: (f) => f.setField("pdn_disable", true),
    makeCurrent: (f) => new VsenseCurrentHelper(config, f),
    virtualPin: false,
    // IOIN has two layouts, told apart by its SEL_A bit
    readTranslate: (reg, val) => (reg === "IOIN" ? (Math.floor(val / 256) & 1 ? "IOIN@TMC220x" : "IOIN@TMC222x") : reg),
  });
  d.fields.setField("mstep_reg_select", true);
  d.setupStealthchop();
  d.configFields([["multistep_filt", true], ["toff", 3], ["hstrt", 5], ["hend", 0], ["tbl", 2], ["iholddelay", 8], ...UART_PWMCONF, ["tpowerdown", 20]]);
  return new TmcSection(d);
}

function tmc2209(config: ConfigSection, printer: Printer): TmcSection {
  const d = new TmcDriver(config, printer, {
    registers: R.TMC2209,
    makeBus: () => new TmcUart(config, printer, lastName(config), R.TMC2209.addresses, 3),
    afterBus: (f) => {
      f.setField("pdn_disable", true);
      f.setField("senddelay", 2); // avoids transmit errors on a shared UART
    },
    makeCurrent: (f) => new VsenseCurrentHelper(config, f),
    virtualPin: true,
  });
  d.fields.setField("mstep_reg_select", true);
  d.setupStealthchop();
  d.setupCoolstepThreshold();
  d.configFields([
    ["multistep_filt", true], ["toff", 3], ["hstrt", 5], ["hend", 0], ["tbl", 2],
    ...COOLSTEP,
    ["iholddelay", 8], ...UART_PWMCONF, ["tpowerdown", 20], ["sgthrs", 0],
  ]);
  return new TmcSection(d);
}

function tmc2660(config: ConfigSection, printer: Printer): TmcSection {
  let current: Tmc2660CurrentHelper | null = null;
  const d = new TmcDriver(config, printer, {
    registers: R.TMC2660,
    makeBus: (f) => {
      f.setField("sdoff", 0); // DRVCTRL in step/dir mode
      return new Tmc2660Spi(config, printer, R.TMC2660.addresses, R.TMC2660.readable, f);
    },
    makeCurrent: (f) => (current = new Tmc2660CurrentHelper(config, f)),
    virtualPin: false,
  });
  d.configFields([["tbl", 2], ["rndtf", 0], ["hdec", 0], ["chm", 0], ["hend", 3], ["hstrt", 3], ["toff", 4]]);
  if (!d.fields.getField("chm") && d.fields.getField("hstrt") + d.fields.getField("hend") > 15)
    throw new ConfigError(`Option 'driver_HEND' + 'driver_HSTRT' in section '${config.getName()}' must be <= 15`);
  d.configFields([
    ["seimin", 0], ["sedn", 0], ["semax", 0], ["seup", 0], ["semin", 0],
    ["sfilt", 0], ["sgt", 0],
    ["slph", 0], ["slpl", 0], ["diss2g", 0], ["ts2g", 3],
  ]);
  setupIdleCurrent(printer, d, current!);
  return new TmcSection(d);
}

/** TMC2660 idle_current_percent: lower current while idle, full current when printing. */
function setupIdleCurrent(printer: Printer, d: TmcDriver, current: Tmc2660CurrentHelper): void {
  if (current.idlePercent >= 100) return;
  // The TMC2660 bus only writes (spi_send): nothing to wait for
  const apply = (amps: number, printTime: number) => {
    for (const reg of current.update(amps)) void d.bus.setRegister(reg, d.fields.registers.get(reg)!, printTime);
  };
  printer.registerEventHandler("idle_timeout:printing", (pt: number) => apply(current.runCurrent, pt - 0.1));
  printer.registerEventHandler("idle_timeout:ready", (pt: number) => apply((current.runCurrent * current.idlePercent) / 100, pt));
}

const SPREAD_DEFAULTS = (hend: number): [string, number | boolean][] => [
  ["multistep_filt", true],
  ["toff", 3], ["hstrt", 5], ["hend", hend], ["fd3", 0], ["disfdcc", 0], ["chm", 0], ["tbl", 2], ["vhighfs", 0],
  ["vhighchm", 0], ["tpfd", 4], ["diss2g", 0], ["diss2vs", 0],
  ...COOLSTEP, ["sgt", 0], ["sfilt", 0],
];

/** PWMCONF and TPOWERDOWN defaults of the TMC5160 and TMC2240 (they differ in PWM_OFS only). */
const SPREAD_PWMCONF = (pwmOfs: number): [string, number | boolean][] => [
  ["pwm_ofs", pwmOfs], ["pwm_grad", 0], ["pwm_freq", 0], ["pwm_autoscale", true], ["pwm_autograd", true],
  ["freewheel", 0], ["pwm_reg", 4], ["pwm_lim", 12],
  ["tpowerdown", 10],
];

function tmc5160(config: ConfigSection, printer: Printer): TmcSection {
  const d = new TmcDriver(config, printer, {
    registers: R.TMC5160,
    makeBus: () => new TmcSpi(config, printer, lastName(config), R.TMC5160.addresses),
    makeCurrent: (f) => GlobalScalerCurrentHelper.tmc5160(config, f),
    virtualPin: true,
  });
  d.setupWaveTable();
  setupThresholds(d);
  d.configFields([
    ...SPREAD_DEFAULTS(2),
    ["drvstrength", 0], ["bbmclks", 4], ["bbmtime", 0], ["filt_isense", 0],
    ["iholddelay", 6],
    ...SPREAD_PWMCONF(30),
  ]);
  return new TmcSection(d);
}

function tmc2240(config: ConfigSection, printer: Printer): TmcSection {
  const regs = R.TMC2240;
  const d = new TmcDriver(config, printer, {
    registers: regs,
    makeBus: () => (config.get("uart_pin", null) !== null
      ? new TmcUart(config, printer, lastName(config), regs.addresses, 7)
      : new TmcSpi(config, printer, lastName(config), regs.addresses)),
    makeCurrent: (f) => GlobalScalerCurrentHelper.tmc2240(config, f),
    virtualPin: true,
  });
  d.setupWaveTable();
  d.fields.setConfigField(config, "offset_sin90", 0);
  setupThresholds(d);
  d.configFields([
    ...SPREAD_DEFAULTS(2),
    ["iholddelay", 6], ["irundelay", 4],
    ...SPREAD_PWMCONF(29),
    ["sg4_thrs", 0], ["sg4_angle_offset", 1],
    ["slope_control", 0],
  ]);
  return new TmcSection(d);
}

registerModule("tmc2130 ", tmc2130);
registerModule("tmc2208 ", tmc2208);
registerModule("tmc2209 ", tmc2209);
registerModule("tmc2660 ", tmc2660);
registerModule("tmc5160 ", tmc5160);
registerModule("tmc2240 ", tmc2240);
