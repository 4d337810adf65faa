// The config-section modules of src/extras/heaters (imported by src/extras/modules.ts).
import "./heaters.ts";
import "./heater-bed.ts";
import "./verify-heater.ts";
import "./pid-calibrate.ts";
import "./temperature-sensor.ts";
import "./custom-sensors.ts";
import "./adc-scaled.ts";
