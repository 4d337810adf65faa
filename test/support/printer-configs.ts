// Config text for the tests' standard printer: a RAMPS-style cartesian on an atmega2560
// (80 steps/mm on X/Y, 400 on Z, 3200/33.5 on E), with a PID hotend and a watermark bed.

/** [mcu], [printer] and the X/Y/Z steppers (no extruder, no heaters). */
export const CARTESIAN_MOTION_CFG = `
[mcu]
serial: /dev/ttyACM0

[printer]
kinematics: cartesian
max_velocity: 500
max_accel: 3000
max_z_velocity: 25
max_z_accel: 30

[stepper_x]
step_pin: PF0
dir_pin: PF1
enable_pin: !PD7
microsteps: 16
rotation_distance: 40
endstop_pin: ^PE5
position_endstop: 0
position_max: 200

[stepper_y]
step_pin: PF6
dir_pin: !PF7
enable_pin: !PF2
microsteps: 16
rotation_distance: 40
endstop_pin: ^PJ1
position_endstop: 0
position_max: 200

[stepper_z]
step_pin: PL3
dir_pin: PL1
enable_pin: !PK0
microsteps: 16
rotation_distance: 8
endstop_pin: ^PD3
position_endstop: 0.5
position_max: 200
`;

/** The hotend's heater options (PB4, EPCOS sensor on PK5, PID, 0-250 °C), for [extruder] or [heater_generic]. */
export const HOTEND_HEATER_OPTIONS = `heater_pin: PB4
sensor_type: EPCOS 100K B57560G104F
sensor_pin: PK5
control: pid
pid_Kp: 22.2
pid_Ki: 1.08
pid_Kd: 114
min_temp: 0
max_temp: 250
`;

/** The extruder stepper on PA4 with the hotend heater. */
export const EXTRUDER_CFG = `
[extruder]
step_pin: PA4
dir_pin: PA6
enable_pin: !PA2
microsteps: 16
rotation_distance: 33.500
nozzle_diameter: 0.500
filament_diameter: 3.500
${HOTEND_HEATER_OPTIONS}`;

/** A watermark-controlled bed (PH5, sensor on PK6, 0-110 °C). */
export const HEATER_BED_CFG = `
[heater_bed]
heater_pin: PH5
sensor_type: EPCOS 100K B57560G104F
sensor_pin: PK6
control: watermark
min_temp: 0
max_temp: 110
`;
