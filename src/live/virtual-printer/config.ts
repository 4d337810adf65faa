// The built-in virtual printer's printer.cfg, embedded as text so the compiled binary carries it.
// A cartesian printer on the in-process virtual MCU (see ./hardware.ts for the simulated board
// the pins are wired to): X/Y/Z with endstops at their minimum, an extruder with a hotend, a heated
// bed, a part fan, SD card printing, pause/resume, idle timeout and a PRINT_START/END_PRINT pair.

import { BED_THERMAL, HOTEND_THERMAL } from "../../../firmware-bridge/index.ts";

/** `serial:` value of an [mcu] section that runs on the in-process virtual MCU. */
export const VIRTUAL_MCU_SERIAL = "stepline:virtual-mcu";

/** Steps per mm of the X/Y (40 mm per turn, 16 microsteps) and Z (8 mm per turn) axes. */
export const XY_STEPS_PER_MM = (200 * 16) / 40;
export const Z_STEPS_PER_MM = (200 * 16) / 8;

export interface VirtualPrinterConfigOptions {
  /** Folder of the SD card's G-code files ([virtual_sdcard] path). */
  gcodesDir: string;
  /** [idle_timeout] timeout in seconds (Klipper's default is 600). */
  idleTimeout?: number;
  /**
   * The board's thermal time scale (see virtualPrinterHardware): the PID integral gains are scaled
   * with it so the closed loop behaves as on the real-time plant, only faster. Default 1.
   */
  thermalTimeScale?: number;
}

/**
 * PI gains (Klipper's pid_Kp/pid_Ki units) for a simulated first-order body: proportional gain
 * `loopGain` times the body's inverse gain, integral time a quarter of its time constant (the
 * integral starts from zero after the heat-up, a slower one leaves a long tail below target).
 */
function pidGains(maxRise: number, timeConstant: number, loopGain: number, scale: number): { kp: string; ki: string } {
  const kp = (loopGain / maxRise) * 255;
  return { kp: kp.toFixed(3), ki: ((4 * kp / timeConstant) * scale).toFixed(5) };
}

/** The printer.cfg text of the virtual printer. */
export function virtualPrinterConfig(opts: VirtualPrinterConfigOptions): string {
  const scale = opts.thermalTimeScale ?? 1;
  const hotend = pidGains(HOTEND_THERMAL.maxRise, HOTEND_THERMAL.timeConstant, 10, scale);
  const bed = pidGains(BED_THERMAL.maxRise, BED_THERMAL.timeConstant, 10, scale);
  return `# Stepline built-in virtual printer: a cartesian printer simulated in-process.
# Edit freely: this file is only written when it does not exist yet.

[mcu]
serial: ${VIRTUAL_MCU_SERIAL}

[printer]
kinematics: cartesian
max_velocity: 300
max_accel: 3000
max_z_velocity: 10
max_z_accel: 100

[stepper_x]
step_pin: PA0
dir_pin: PA1
enable_pin: !PA2
microsteps: 16
rotation_distance: 40
endstop_pin: ^PB0
position_endstop: 0
position_max: 220
homing_speed: 50

[stepper_y]
step_pin: PA3
dir_pin: PA4
enable_pin: !PA5
microsteps: 16
rotation_distance: 40
endstop_pin: ^PB1
position_endstop: 0
position_max: 220
homing_speed: 50

[stepper_z]
step_pin: PA6
dir_pin: PA7
enable_pin: !PA8
microsteps: 16
rotation_distance: 8
endstop_pin: ^PB2
position_endstop: 0
position_max: 200
homing_speed: 8

# The simulated thermistors follow a beta model; this matches them exactly.
[thermistor virtual_ntc]
temperature1: 25
resistance1: 100000
beta: 3950

[extruder]
step_pin: PA9
dir_pin: PA10
enable_pin: !PA11
microsteps: 16
rotation_distance: 33.5
nozzle_diameter: 0.400
filament_diameter: 1.750
heater_pin: PC0
sensor_type: virtual_ntc
sensor_pin: PC1
control: pid
pid_Kp: ${hotend.kp}
pid_Ki: ${hotend.ki}
pid_Kd: 0
min_temp: 0
max_temp: 280
max_extrude_only_distance: 100

[heater_bed]
heater_pin: PC2
sensor_type: virtual_ntc
sensor_pin: PC3
control: pid
pid_Kp: ${bed.kp}
pid_Ki: ${bed.ki}
pid_Kd: 0
min_temp: 0
max_temp: 120

[fan]
pin: PC4

[virtual_sdcard]
path: ${opts.gcodesDir}

[pause_resume]

[idle_timeout]
timeout: ${opts.idleTimeout ?? 600}

[display_status]

[gcode_macro PRINT_START]
description: Heat the bed and the nozzle while homing, then wait for both
gcode:
  {% set bed = params.BED|default(60)|float %}
  {% set extruder = params.EXTRUDER|default(200)|float %}
  G90
  M140 S{bed}
  M104 S{extruder}
  G28
  M190 S{bed}
  M109 S{extruder}
  G1 Z5 F600

[gcode_macro END_PRINT]
description: Heaters off, move away, motors off
gcode:
  TURN_OFF_HEATERS
  M107
  G91
  G1 Z5 F600
  G90
  M84
`;
}
