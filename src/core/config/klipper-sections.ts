// The config sections Klipper (at the reference commit) accepts: its module names (klippy/extras) and
// the sections its core reads. A section outside these is a typo or foreign, and an error as in Klipper.

/** Klipper's modules: a section's first word names the module that loads it. */
const KLIPPER_MODULES = new Set([
  "ad5206", "adc_scaled", "adc_temperature", "ads1220", "ads131m0x", "ads1x1x", "adxl345", "aht10",
  "aio_executor", "angle", "axis_twist_compensation", "bed_mesh", "bed_screws", "bed_tilt", "bltouch", "bme280",
  "bmi160", "board_pins", "bulk_sensor", "bus", "buttons", "canbus_ids", "canbus_stats", "controller_fan",
  "dac084s085", "delayed_gcode", "delta_calibrate", "display", "display_status", "dotstar", "ds18b20",
  "duplicate_pin_override", "endstop_phase", "error_mcu", "exclude_object", "extruder_stepper", "fan",
  "fan_generic", "filament_motion_sensor", "filament_switch_sensor", "firmware_retraction", "force_move",
  "garbage_collection", "gcode_arcs", "gcode_button", "gcode_macro", "gcode_move", "hall_filament_width_sensor",
  "heater_bed", "heater_fan", "heater_generic", "heaters", "homing", "homing_heaters", "homing_override",
  "htu21d", "hx71x", "icm20948", "idle_timeout", "input_shaper", "ldc1612", "led", "lis2dw", "lis3dh", "lm75",
  "load_cell", "load_cell_probe", "manual_probe", "manual_stepper", "mcp4018", "mcp4451", "mcp4728",
  "motion_queuing", "motion_report", "mpu9250", "multi_pin", "neopixel", "output_pin", "palette2",
  "pause_resume", "pca9533", "pca9632", "pid_calibrate", "print_stats", "probe", "probe_eddy_current",
  "pulse_counter", "pwm_cycle_time", "pwm_tool", "quad_gantry_level", "query_adc", "query_endstops",
  "replicape", "resonance_tester", "respond", "safe_z_home", "samd_sercom", "save_variables",
  "screws_tilt_adjust", "sdcard_loop", "servo", "shaper_calibrate", "shaper_defs", "sht3x", "skew_correction",
  "smart_effector", "spi_temperature", "static_digital_output", "static_pwm_clock", "statistics",
  "stepper_enable", "sx1509", "temperature_combined", "temperature_fan", "temperature_host", "temperature_mcu",
  "temperature_probe", "temperature_sensor", "thermistor", "tmc", "tmc2130", "tmc2208", "tmc2209", "tmc2240",
  "tmc2660", "tmc5160", "tmc_uart", "trigger_analog", "tsl1401cl_filament_width_sensor", "tuning_tower",
  "verify_heater", "virtual_sdcard", "z_thermal_adjust", "z_tilt",
  // read by klippy's core, the kinematics and the display
  "printer", "mcu", "stepper", "dual_carriage", "carriage", "extra_carriage",
  "display_data", "display_template", "display_glyph", "menu",
]);

/** True when Klipper would load or read `section` (e.g. "tmc2209 stepper_x", "extruder1", "stepper_z1"). */
export function isKlipperSection(section: string): boolean {
  const word = section.trim().toLowerCase().split(/\s+/)[0] ?? "";
  return KLIPPER_MODULES.has(word) || word.startsWith("stepper_") || /^extruder\d*$/.test(word);
}
