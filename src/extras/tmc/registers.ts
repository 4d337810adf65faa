// Register maps of the supported Trinamic drivers (addresses and bit fields from the datasheets):
// TMC2130, TMC2208, TMC2209, TMC2660, TMC5160, TMC2240. Field notation: "name@lowbit[:width]".
import { type FieldFormatter, fieldTable, type RegisterFields } from "./fields.ts";

export interface DriverRegisters {
  /** Register name → address. */
  addresses: Record<string, number>;
  /** Registers DUMP_TMC reads from the driver (the rest are write-only). */
  readable: string[];
  fields: RegisterFields;
  signed: Set<string>;
  formatters: Record<string, FieldFormatter>;
  /** Internal clock frequency (TSTEP based thresholds), null when the driver has none. */
  frequency: number | null;
}

const flag = (text: string): FieldFormatter => (v) => (v ? `1(${text})` : "");

const COMMON_FORMATTERS: Record<string, FieldFormatter> = {
  i_scale_analog: flag("ExtVREF"),
  shaft: flag("Reverse"),
  reset: flag("Reset"),
  drv_err: flag("ErrorShutdown!"),
  uv_cp: flag("Undervoltage!"),
  version: (v) => `0x${v.toString(16)}`,
  mres: (v) => `${v}(${256 >> v}usteps)`,
  otpw: flag("OvertempWarning!"),
  ot: flag("OvertempError!"),
  s2ga: flag("ShortToGND_A!"),
  s2gb: flag("ShortToGND_B!"),
  ola: flag("OpenLoad_A!"),
  olb: flag("OpenLoad_B!"),
  cs_actual: (v) => (v ? `${v}` : "0(Reset?)"),
};
const SUPPLY_FORMATTERS: Record<string, FieldFormatter> = {
  ...COMMON_FORMATTERS,
  s2vsa: flag("ShortToSupply_A!"),
  s2vsb: flag("ShortToSupply_B!"),
};

// Sine wave table registers shared by the TMC2130/5160/2240.
const WAVE_TABLE = {
  MSLUT0: "mslut0@0:32", MSLUT1: "mslut1@0:32", MSLUT2: "mslut2@0:32", MSLUT3: "mslut3@0:32",
  MSLUT4: "mslut4@0:32", MSLUT5: "mslut5@0:32", MSLUT6: "mslut6@0:32", MSLUT7: "mslut7@0:32",
  MSLUTSEL: "w0@0:2 w1@2:2 w2@4:2 w3@6:2 x1@8:8 x2@16:8 x3@24:8",
  MSLUTSTART: "start_sin@0:8 start_sin90@16:8",
};
const THRESHOLDS = { TPOWERDOWN: "tpowerdown@0:8", TSTEP: "tstep@0:20", TPWMTHRS: "tpwmthrs@0:20", TCOOLTHRS: "tcoolthrs@0:20", THIGH: "thigh@0:20" };

export const TMC2130: DriverRegisters = {
  addresses: {
    GCONF: 0x00, GSTAT: 0x01, IOIN: 0x04, IHOLD_IRUN: 0x10, TPOWERDOWN: 0x11, TSTEP: 0x12, TPWMTHRS: 0x13,
    TCOOLTHRS: 0x14, THIGH: 0x15, XDIRECT: 0x2d, MSLUT0: 0x60, MSLUT1: 0x61, MSLUT2: 0x62, MSLUT3: 0x63,
    MSLUT4: 0x64, MSLUT5: 0x65, MSLUT6: 0x66, MSLUT7: 0x67, MSLUTSEL: 0x68, MSLUTSTART: 0x69, MSCNT: 0x6a,
    MSCURACT: 0x6b, CHOPCONF: 0x6c, COOLCONF: 0x6d, DCCTRL: 0x6e, DRV_STATUS: 0x6f, PWMCONF: 0x70,
    PWM_SCALE: 0x71, ENCM_CTRL: 0x72, LOST_STEPS: 0x73,
  },
  readable: ["GCONF", "GSTAT", "IOIN", "TSTEP", "XDIRECT", "MSCNT", "MSCURACT", "CHOPCONF", "DRV_STATUS", "PWM_SCALE", "LOST_STEPS"],
  fields: fieldTable({
    GCONF: "i_scale_analog@0 internal_rsense@1 en_pwm_mode@2 enc_commutation@3 shaft@4 diag0_error@5 diag0_otpw@6 diag0_stall@7 diag1_stall@8 diag1_index@9 diag1_onstate@10 diag1_steps_skipped@11 diag0_int_pushpull@12 diag1_pushpull@13 small_hysteresis@14 stop_enable@15 direct_mode@16 test_mode@17",
    GSTAT: "reset@0 drv_err@1 uv_cp@2",
    IOIN: "step@0 dir@1 dcen_cfg4@2 dcin_cfg5@3 drv_enn_cfg6@4 dco@5 version@24:8",
    IHOLD_IRUN: "ihold@0:5 irun@8:5 iholddelay@16:4",
    ...THRESHOLDS,
    ...WAVE_TABLE,
    MSCNT: "mscnt@0:10",
    MSCURACT: "cur_a@0:9 cur_b@16:9",
    CHOPCONF: "toff@0:4 hstrt@4:3 hend@7:4 fd3@11 disfdcc@12 rndtf@13 chm@14 tbl@15:2 vsense@17 vhighfs@18 vhighchm@19 sync@20:4 mres@24:4 intpol@28 dedge@29 diss2g@30",
    COOLCONF: "semin@0:4 seup@5:2 semax@8:4 sedn@13:2 seimin@15 sgt@16:7 sfilt@24",
    DRV_STATUS: "sg_result@0:10 fsactive@15 cs_actual@16:5 stallguard@24 ot@25 otpw@26 s2ga@27 s2gb@28 ola@29 olb@30 stst@31",
    PWMCONF: "pwm_ampl@0:8 pwm_grad@8:8 pwm_freq@16:2 pwm_autoscale@18 pwm_symmetric@19 freewheel@20:2",
    PWM_SCALE: "pwm_scale@0:8",
    LOST_STEPS: "lost_steps@0:20",
  }),
  signed: new Set(["cur_a", "cur_b", "sgt"]),
  formatters: COMMON_FORMATTERS,
  frequency: 13200000,
};

const TMC2208_FIELDS = {
  GCONF: "i_scale_analog@0 internal_rsense@1 en_spreadcycle@2 shaft@3 index_otpw@4 index_step@5 pdn_disable@6 mstep_reg_select@7 multistep_filt@8 test_mode@9",
  GSTAT: "reset@0 drv_err@1 uv_cp@2",
  IFCNT: "ifcnt@0:8",
  SLAVECONF: "senddelay@8:4",
  OTP_PROG: "otpbit@0:3 otpbyte@4:2 otpmagic@8:8",
  OTP_READ: "otp_fclktrim@0:5 otp_ottrim@5 otp_internalrsense@6 otp_tbl@7 otp_pwm_grad@8:4 otp_pwm_autograd@12 otp_tpwmthrs@13:3 otp_pwm_ofs@16 otp_pwm_reg@17 otp_pwm_freq@18 otp_iholddelay@19:2 otp_ihold@21:2 otp_en_spreadcycle@23",
  // IOIN layout depends on the SEL_A pin: TMC222x (0) or TMC220x (1)
  "IOIN@TMC222x": "pdn_uart@1 spread@2 dir@3 enn@4 step@5 ms1@6 ms2@7 sel_a@8 version@24:8",
  "IOIN@TMC220x": "enn@0 ms1@2 ms2@3 diag@4 pdn_uart@6 step@7 sel_a@8 dir@9 version@24:8",
  FACTORY_CONF: "fclktrim@0:5 ottrim@8:2",
  IHOLD_IRUN: "ihold@0:5 irun@8:5 iholddelay@16:4",
  TPOWERDOWN: "tpowerdown@0:8",
  TSTEP: "tstep@0:20",
  TPWMTHRS: "tpwmthrs@0:20",
  VACTUAL: "vactual@0:24",
  MSCNT: "mscnt@0:10",
  MSCURACT: "cur_a@0:9 cur_b@16:9",
  CHOPCONF: "toff@0:4 hstrt@4:3 hend@7:4 tbl@15:2 vsense@17 mres@24:4 intpol@28 dedge@29 diss2g@30 diss2vs@31",
  DRV_STATUS: "otpw@0 ot@1 s2ga@2 s2gb@3 s2vsa@4 s2vsb@5 ola@6 olb@7 t120@8 t143@9 t150@10 t157@11 cs_actual@16:5 stealth@30 stst@31",
  PWMCONF: "pwm_ofs@0:8 pwm_grad@8:8 pwm_freq@16:2 pwm_autoscale@18 pwm_autograd@19 freewheel@20:2 pwm_reg@24:4 pwm_lim@28:4",
  PWM_SCALE: "pwm_scale_sum@0:8 pwm_scale_auto@16:9",
  PWM_AUTO: "pwm_ofs_auto@0:8 pwm_grad_auto@16:8",
};
const TMC2208_FORMATTERS: Record<string, FieldFormatter> = {
  ...SUPPLY_FORMATTERS,
  sel_a: (v) => `${v}(${["TMC222x", "TMC220x"][v]})`,
};

export const TMC2208: DriverRegisters = {
  addresses: {
    GCONF: 0x00, GSTAT: 0x01, IFCNT: 0x02, SLAVECONF: 0x03, OTP_PROG: 0x04, OTP_READ: 0x05, IOIN: 0x06,
    FACTORY_CONF: 0x07, IHOLD_IRUN: 0x10, TPOWERDOWN: 0x11, TSTEP: 0x12, TPWMTHRS: 0x13, VACTUAL: 0x22,
    MSCNT: 0x6a, MSCURACT: 0x6b, CHOPCONF: 0x6c, DRV_STATUS: 0x6f, PWMCONF: 0x70, PWM_SCALE: 0x71, PWM_AUTO: 0x72,
  },
  readable: ["GCONF", "GSTAT", "IFCNT", "OTP_READ", "IOIN", "FACTORY_CONF", "TSTEP", "MSCNT", "MSCURACT", "CHOPCONF", "DRV_STATUS", "PWMCONF", "PWM_SCALE", "PWM_AUTO"],
  fields: fieldTable(TMC2208_FIELDS),
  signed: new Set(["cur_a", "cur_b", "pwm_scale_auto"]),
  formatters: TMC2208_FORMATTERS,
  frequency: 12000000,
};

export const TMC2209: DriverRegisters = {
  addresses: { ...TMC2208.addresses, TCOOLTHRS: 0x14, COOLCONF: 0x42, SGTHRS: 0x40, SG_RESULT: 0x41 },
  readable: [...TMC2208.readable, "SG_RESULT"],
  fields: fieldTable({
    ...TMC2208_FIELDS,
    COOLCONF: "semin@0:4 seup@5:2 semax@8:4 sedn@13:2 seimin@15",
    IOIN: "enn@0 ms1@2 ms2@3 diag@4 pdn_uart@6 step@7 spread_en@8 dir@9 version@24:8",
    SGTHRS: "sgthrs@0:8",
    SG_RESULT: "sg_result@0:10",
    TCOOLTHRS: "tcoolthrs@0:20",
  }),
  signed: TMC2208.signed,
  formatters: TMC2208_FORMATTERS,
  frequency: 12000000,
};

const READRSP_COMMON = "stallguard@4 ot@5 otpw@6 s2ga@7 s2gb@8 ola@9 olb@10 stst@11";
export const TMC2660: DriverRegisters = {
  addresses: { DRVCONF: 0xe, SGCSCONF: 0xc, SMARTEN: 0xa, CHOPCONF: 0x8, DRVCTRL: 0x0 },
  readable: ["READRSP@RDSEL0", "READRSP@RDSEL1", "READRSP@RDSEL2"],
  fields: fieldTable({
    DRVCTRL: "mres@0:4 dedge@8 intpol@9",
    CHOPCONF: "toff@0:4 hstrt@4:3 hend@7:4 hdec@11:2 rndtf@13 chm@14 tbl@15:2",
    SMARTEN: "semin@0:4 seup@5:2 semax@8:4 sedn@13:2 seimin@15",
    SGCSCONF: "cs@0:5 sgt@8:7 sfilt@16",
    DRVCONF: "rdsel@4:2 vsense@6 sdoff@7 ts2g@8:2 diss2g@10 slpl@12:2 slph@14:2 tst@16",
    "READRSP@RDSEL0": `${READRSP_COMMON} mstep@14:10`,
    "READRSP@RDSEL1": `${READRSP_COMMON} sg_result@14:10`,
    "READRSP@RDSEL2": `${READRSP_COMMON} se@14:5 sg_result@rdsel2@19:5`,
  }),
  signed: new Set(["sgt"]),
  formatters: {
    ...COMMON_FORMATTERS,
    chm: (v) => (v ? "1(constant toff)" : "0(spreadCycle)"),
    vsense: (v) => (v ? "1(165mV)" : "0(305mV)"),
    sdoff: flag("Step/Dir disabled!"),
    diss2g: flag("Short to GND disabled!"),
    se: (v) => (v ? `${v}` : "0(Reset?)"),
  },
  frequency: null,
};

const SPREAD_CHOPCONF = "toff@0:4 hstrt@4:3 hend@7:4 fd3@11 disfdcc@12 chm@14 tbl@15:2 vhighfs@18 vhighchm@19 tpfd@20:4 mres@24:4 intpol@28 dedge@29 diss2g@30 diss2vs@31";
const FULL_DRV_STATUS = "sg_result@0:10 s2vsa@12 s2vsb@13 stealth@14 fsactive@15 cs_actual@16:5 stallguard@24 ot@25 otpw@26 s2ga@27 s2gb@28 ola@29 olb@30 stst@31";
const COOLCONF_SG2 = "semin@0:4 seup@5:2 semax@8:4 sedn@13:2 seimin@15 sgt@16:7 sfilt@24";

export const TMC5160: DriverRegisters = {
  addresses: {
    GCONF: 0x00, GSTAT: 0x01, IFCNT: 0x02, SLAVECONF: 0x03, IOIN: 0x04, X_COMPARE: 0x05, OTP_READ: 0x07,
    FACTORY_CONF: 0x08, SHORT_CONF: 0x09, DRV_CONF: 0x0a, GLOBALSCALER: 0x0b, OFFSET_READ: 0x0c,
    IHOLD_IRUN: 0x10, TPOWERDOWN: 0x11, TSTEP: 0x12, TPWMTHRS: 0x13, TCOOLTHRS: 0x14, THIGH: 0x15,
    RAMPMODE: 0x20, XACTUAL: 0x21, VACTUAL: 0x22, VSTART: 0x23, A1: 0x24, V1: 0x25, AMAX: 0x26, VMAX: 0x27,
    DMAX: 0x28, D1: 0x2a, VSTOP: 0x2b, TZEROWAIT: 0x2c, XTARGET: 0x2d, VDCMIN: 0x33, SW_MODE: 0x34,
    RAMP_STAT: 0x35, XLATCH: 0x36, ENCMODE: 0x38, X_ENC: 0x39, ENC_CONST: 0x3a, ENC_STATUS: 0x3b,
    ENC_LATCH: 0x3c, ENC_DEVIATION: 0x3d, MSLUT0: 0x60, MSLUT1: 0x61, MSLUT2: 0x62, MSLUT3: 0x63,
    MSLUT4: 0x64, MSLUT5: 0x65, MSLUT6: 0x66, MSLUT7: 0x67, MSLUTSEL: 0x68, MSLUTSTART: 0x69, MSCNT: 0x6a,
    MSCURACT: 0x6b, CHOPCONF: 0x6c, COOLCONF: 0x6d, DCCTRL: 0x6e, DRV_STATUS: 0x6f, PWMCONF: 0x70,
    PWM_SCALE: 0x71, PWM_AUTO: 0x72, LOST_STEPS: 0x73,
  },
  readable: ["GCONF", "CHOPCONF", "GSTAT", "DRV_STATUS", "FACTORY_CONF", "IOIN", "LOST_STEPS", "MSCNT", "MSCURACT", "OTP_READ", "PWM_SCALE", "PWM_AUTO", "TSTEP"],
  fields: fieldTable({
    COOLCONF: COOLCONF_SG2,
    CHOPCONF: SPREAD_CHOPCONF,
    DRV_CONF: "bbmtime@0:5 bbmclks@8:4 otselect@16:2 drvstrength@18:2 filt_isense@20:2",
    DRV_STATUS: FULL_DRV_STATUS,
    FACTORY_CONF: "factory_conf@0:5",
    GCONF: "recalibrate@0 faststandstill@1 en_pwm_mode@2 multistep_filt@3 shaft@4 diag0_error@5 diag0_otpw@6 diag0_stall@7 diag1_stall@8 diag1_index@9 diag1_onstate@10 diag1_steps_skipped@11 diag0_int_pushpull@12 diag1_poscomp_pushpull@13 small_hysteresis@14 stop_enable@15 direct_mode@16 test_mode@17",
    GSTAT: "reset@0 drv_err@1 uv_cp@2",
    GLOBALSCALER: "globalscaler@0:8",
    IHOLD_IRUN: "ihold@0:5 irun@8:5 iholddelay@16:4",
    IOIN: "refl_step@0 refr_dir@1 encb_dcen_cfg4@2 enca_dcin_cfg5@3 drv_enn@4 enc_n_dco_cfg6@5 sd_mode@6 swcomp_in@7 version@24:8",
    LOST_STEPS: "lost_steps@0:20",
    ...WAVE_TABLE,
    MSCNT: "mscnt@0:10",
    MSCURACT: "cur_a@0:9 cur_b@16:9",
    OTP_READ: "otp_fclktrim@0:5 otp_s2_level@5 otp_bbm@6 otp_tbl@7",
    PWM_AUTO: "pwm_ofs_auto@0:8 pwm_grad_auto@16:8",
    PWMCONF: "pwm_ofs@0:8 pwm_grad@8:8 pwm_freq@16:2 pwm_autoscale@18 pwm_autograd@19 freewheel@20:2 pwm_reg@24:4 pwm_lim@28:4",
    PWM_SCALE: "pwm_scale_sum@0:8 pwm_scale_auto@16:9",
    ...THRESHOLDS,
  }),
  signed: new Set(["cur_a", "cur_b", "sgt", "xactual", "vactual", "pwm_scale_auto"]),
  formatters: SUPPLY_FORMATTERS,
  frequency: 12000000,
};

const tempC = (v: number) => ((v - 2038) / 7.7).toFixed(1);
const hex4 = (v: number) => `0x${v.toString(16).padStart(4, "0")}`;
export const TMC2240: DriverRegisters = {
  addresses: {
    GCONF: 0x00, GSTAT: 0x01, IFCNT: 0x02, NODECONF: 0x03, IOIN: 0x04, DRV_CONF: 0x0a, GLOBALSCALER: 0x0b,
    IHOLD_IRUN: 0x10, TPOWERDOWN: 0x11, TSTEP: 0x12, TPWMTHRS: 0x13, TCOOLTHRS: 0x14, THIGH: 0x15,
    DIRECT_MODE: 0x2d, ENCMODE: 0x38, X_ENC: 0x39, ENC_CONST: 0x3a, ENC_STATUS: 0x3b, ENC_LATCH: 0x3c,
    ADC_VSUPPLY_AIN: 0x50, ADC_TEMP: 0x51, OTW_OV_VTH: 0x52, MSLUT0: 0x60, MSLUT1: 0x61, MSLUT2: 0x62,
    MSLUT3: 0x63, MSLUT4: 0x64, MSLUT5: 0x65, MSLUT6: 0x66, MSLUT7: 0x67, MSLUTSEL: 0x68, MSLUTSTART: 0x69,
    MSCNT: 0x6a, MSCURACT: 0x6b, CHOPCONF: 0x6c, COOLCONF: 0x6d, DRV_STATUS: 0x6f, PWMCONF: 0x70,
    PWM_SCALE: 0x71, PWM_AUTO: 0x72, SG4_THRS: 0x74, SG4_RESULT: 0x75, SG4_IND: 0x76,
  },
  readable: [
    "GCONF", "GSTAT", "IOIN", "DRV_CONF", "GLOBALSCALER", "IHOLD_IRUN", "TPOWERDOWN", "TSTEP", "TPWMTHRS", "TCOOLTHRS", "THIGH",
    "ADC_VSUPPLY_AIN", "ADC_TEMP", "OTW_OV_VTH", "MSCNT", "MSCURACT", "CHOPCONF", "COOLCONF", "DRV_STATUS", "PWMCONF", "PWM_SCALE",
    "PWM_AUTO", "SG4_THRS", "SG4_RESULT", "SG4_IND",
  ],
  fields: fieldTable({
    COOLCONF: COOLCONF_SG2,
    CHOPCONF: SPREAD_CHOPCONF,
    DRV_STATUS: FULL_DRV_STATUS,
    GCONF: "faststandstill@1 en_pwm_mode@2 multistep_filt@3 shaft@4 diag0_error@5 diag0_otpw@6 diag0_stall@7 diag1_stall@8 diag1_index@9 diag1_onstate@10 diag0_pushpull@12 diag1_pushpull@13 small_hysteresis@14 stop_enable@15 direct_mode@16",
    GSTAT: "reset@0 drv_err@1 uv_cp@2 register_reset@3 vm_uvlo@4",
    GLOBALSCALER: "globalscaler@0:8",
    IHOLD_IRUN: "ihold@0:5 irun@8:5 iholddelay@16:4 irundelay@24:4",
    IOIN: "step@0 dir@1 encb@2 enca@3 drv_enn@4 encn@5 uart_en@6 comp_a@8 comp_b@9 comp_a1_a2@10 comp_b1_b2@11 output@12 ext_res_det@13 ext_clk@14 adc_err@15 silicon_rv@16:3 version@24:8",
    ...WAVE_TABLE,
    MSLUTSTART: "start_sin@0:8 start_sin90@16:8 offset_sin90@24:8",
    MSCNT: "mscnt@0:10",
    MSCURACT: "cur_a@0:9 cur_b@16:9",
    PWM_AUTO: "pwm_ofs_auto@0:8 pwm_grad_auto@16:8",
    PWMCONF: "pwm_ofs@0:8 pwm_grad@8:8 pwm_freq@16:2 pwm_autoscale@18 pwm_autograd@19 freewheel@20:2 pwm_meas_sd_enable@22 pwm_dis_reg_stst@23 pwm_reg@24:4 pwm_lim@28:4",
    PWM_SCALE: "pwm_scale_sum@0:10 pwm_scale_auto@16:9",
    ...THRESHOLDS,
    DRV_CONF: "current_range@0:2 slope_control@4:2",
    ADC_VSUPPLY_AIN: "adc_vsupply@0:13 adc_ain@16:13",
    ADC_TEMP: "adc_temp@0:13",
    OTW_OV_VTH: "overvoltage_vth@0:13 overtempprewarning_vth@16:13",
    SG4_THRS: "sg4_thrs@0:8 sg4_filt_en@8 sg4_angle_offset@9",
    SG4_RESULT: "sg4_result@0:10",
    SG4_IND: "sg4_ind_0@0:8 sg4_ind_1@8:8 sg4_ind_2@16:8 sg4_ind_3@24:8",
  }),
  signed: new Set(["cur_a", "cur_b", "sgt", "pwm_scale_auto", "offset_sin90"]),
  formatters: {
    ...SUPPLY_FORMATTERS,
    adc_temp: (v) => `${hex4(v)}(${tempC(v)}C)`,
    adc_vsupply: (v) => `${hex4(v)}(${(v * 0.009732).toFixed(3)}V)`,
    adc_ain: (v) => `${hex4(v)}(${(v * 0.3052).toFixed(3)}mV)`,
    overvoltage_vth: (v) => `${hex4(v)}(${(v * 0.009732).toFixed(3)}V)`,
    overtempprewarning_vth: (v) => `${hex4(v)}(${tempC(v)}C)`,
  },
  frequency: 12500000,
};
